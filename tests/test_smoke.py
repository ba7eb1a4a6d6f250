from tests.conftest import login_as, make_user


def test_dashboard_shows_the_patients_own_name(client, clinic):
    user = make_user()
    login_as(client, user)
    page = client.get("/home").get_data(as_text=True)
    assert user.patient.patient_number in page
