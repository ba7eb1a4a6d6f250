"""Forms of getting in: signing in and the codes and passwords around it (`sign_in`),
activating an account (`activation`), and getting back in (`recovery`)."""
