"""`flask portal ...`: commands for the clinic's administrator."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from portal.models import FEATURES, STAFF_ROLES

portal_cli = AppGroup("portal", help="Set up and look after the patient portal.")


def _csv(value: str | None) -> list[str] | None:
    return [item.strip() for item in value.split(",") if item.strip()] if value else None


@portal_cli.command("init-clinic")
@click.option("--name", help="The clinic's name, shown on every page.")
@click.option("--phone", help="The number patients call, shown on every page.")
@click.option("--email", help="The clinic's e-mail address.")
@click.option("--address", help="The clinic's address on one line.")
@click.option("--emergency-number", help="The emergency number, e.g. 112.")
@click.option("--timezone", help="IANA time zone, e.g. Europe/Amsterdam or Europe/Warsaw.")
@click.option("--default-language", type=click.Choice(["en", "nl", "pl"]),
              help="Language for visitors whose browser asks for none of the three.")
@click.option("--reply-days", type=click.IntRange(0, 30),
              help="Working days within which the clinic answers messages.")
@click.option("--categories", help="Patient categories served, comma-separated, e.g. gp.")
@click.option("--features",
              help=f"Areas switched on, comma-separated, from: {', '.join(FEATURES)}.")
@click.option("--currency", help="ISO 4217 currency code, e.g. EUR or PLN.")
@click.option("--results-need-release/--results-show-at-once", default=None,
              help="Whether new results wait until a clinician releases them, or patients "
                   "see them as soon as they arrive.")
@click.option("--opening-hours", metavar="HOURS",
              help='When the clinic is open, e.g. "mon-fri 08:00-12:00,13:00-17:00; '
                   'sat 09:00-12:00" (days not named are closed).')
@click.option("--auto-reply/--no-auto-reply", default=None,
              help="Whether a message sent outside opening hours gets an automatic answer "
                   "saying when the clinic will read it.")
@click.option("--pharmacies", metavar="NAMES",
              help='Pharmacies patients choose from for repeat prescriptions, separated by '
                   '";", e.g. "Apotheek Jordaan, Amsterdam; Apotheek De Pijp, Amsterdam".')
@click.option("--proxy-age-rules", type=click.Choice(["nl", "pl", "custom"]),
              help="Age rules for a parent's access to a child's record: nl (parents act "
                   "until 12, from 12 to 15 with the child's consent, not from 16), pl "
                   "(parents act until 18) or custom (see --proxy-ages).")
@click.option("--proxy-ages", metavar="CONSENT,END,OWN",
              help='With --proxy-age-rules custom: the age from which a parent needs the '
                   'child\'s consent ("-" for never), the age at which parental access ends '
                   'and the age from which the child may have an own account, e.g. "14,18,14".')
@click.option("--correction-months", type=click.IntRange(1, 3),
              help="Months within which the clinic answers a patient's request to correct "
                   "the record (default 1; the law allows up to 3 only when needed).")
@click.option("--patients-need-second-step/--patients-may-skip-second-step", default=None,
              help="Whether every patient must sign in with a second step (a code from an "
                   "app, or by e-mail where allowed). Off by default; when on, a patient "
                   "without one sets it up at the next sign-in. Staff always need one.")
@click.option("--email-codes/--no-email-codes", default=None,
              help="Whether patients may get their second-step codes by e-mail instead of "
                   "from an app (on by default).")
def init_clinic(name, phone, email, address, emergency_number, timezone, default_language,
                reply_days, categories, features, currency, results_need_release,
                opening_hours, auto_reply, pharmacies, proxy_age_rules, proxy_ages,
                correction_months, patients_need_second_step, email_codes):
    """Create the clinic's settings, or change the ones given. Run it again to update."""
    from portal.clinic_setup import parse_opening_hours, save_clinic

    feature_list = _csv(features)
    if feature_list is not None:
        unknown = set(feature_list) - set(FEATURES)
        if unknown:
            raise click.BadParameter(f"unknown feature(s): {', '.join(sorted(unknown))}",
                                     param_hint="--features")
    try:
        hours = parse_opening_hours(opening_hours) if opening_hours is not None else None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--opening-hours") from None
    clinic = save_clinic(
        opening_hours=hours, auto_reply_outside_hours=auto_reply,
        pharmacies=[p.strip() for p in pharmacies.split(";") if p.strip()]
        if pharmacies is not None else None,
        name=name, phone=phone, email=email, address=address,
        emergency_number=emergency_number, timezone=timezone, default_locale=default_language,
        reply_days=reply_days, patient_categories=_csv(categories), currency=currency,
        features={f: f in feature_list for f in FEATURES} if feature_list is not None else None,
        results_need_release=results_need_release, correction_months=correction_months,
        patient_2fa_required=patients_need_second_step, email_codes_allowed=email_codes,
    )
    if proxy_age_rules or proxy_ages:
        _save_age_rules(proxy_age_rules or "custom", proxy_ages)
    click.echo(f"Clinic settings saved: {clinic.name or '(no name yet: use --name)'}")
    click.echo("New results wait until a clinician releases them." if clinic.results_need_release
               else "New results show to patients as soon as they arrive.")
    click.echo("Patients must use a second sign-in step." if clinic.patient_2fa_required
               else "Patients may choose whether to use a second sign-in step.")


def _save_age_rules(preset: str, ages: str | None) -> None:
    """Store the age rules of proxy access, or say what is wrong with the ages."""
    from portal.family.services import set_age_rules

    parsed = None
    try:
        if ages is not None:
            consent, end, own = (part.strip() for part in ages.split(","))
            parsed = (None if consent == "-" else int(consent), int(end), int(own))
        elif preset == "custom":
            raise ValueError("custom rules need --proxy-ages")
        set_age_rules(preset, parsed if preset == "custom" else None)
    except ValueError as error:
        raise click.BadParameter(f"{error} (e.g. \"14,18,14\" or \"-,18,16\")",
                                 param_hint="--proxy-ages") from None


@portal_cli.command("demo")
def demo():
    """Load the demo clinic with staff and patients (safe to run again), and print sign-ins."""
    from portal.demo import load_demo

    info = load_demo()
    click.echo("Demo clinic loaded. Every demo account uses the password: " + info["password"])
    click.echo("  Staff:    " + ", ".join(f"{u} ({r})" for u, r in info["staff"]))
    click.echo("            staff also need a code: add the key " + info["totp_secret"]
               + " to an authenticator app, or run `flask portal demo-code`")
    click.echo("  Patients: " + ", ".join(f"{u} (patient ID {n})" for u, n in info["patients"]))
    click.echo("  Acting for a child: " + ", ".join(f"{u} (for patient ID {n})"
                                                   for u, n in info["proxies"]))
    click.echo("  Unused invitation codes: "
               + ", ".join(f"{code} for {n}" for n, code in info["invitations"]))


@portal_cli.command("demo-code")
def demo_code():
    """Print the current sign-in code of the demo staff (development only)."""
    import pyotp
    from flask import current_app

    from portal.demo import DEMO_TOTP_SECRET

    if current_app.config["ENV_NAME"] not in ("development", "testing"):
        raise click.ClickException("demo-code works only with PORTAL_ENV=development")
    click.echo(pyotp.TOTP(DEMO_TOTP_SECRET).now())


@portal_cli.command("create-staff")
@click.argument("username")
@click.option("--name", required=True, help="Full name shown to patients and colleagues.")
@click.option("--role", type=click.Choice(STAFF_ROLES), required=True, help="What they may do.")
@click.option("--email", help="Work e-mail address.")
@click.password_option(help="Their first password (asked for when not given).")
def create_staff(username, name, role, email, password):
    """Create a staff account, e.g. the first administrator."""
    from portal.extensions import db
    from portal.models import User
    from portal.security import hash_password

    db.session.add(User(username=username, display_name=name, role=role, email=email,
                        password_hash=hash_password(password)))
    db.session.commit()
    click.echo(f"Staff account {username} ({role}) created.")


@portal_cli.command("import-fhir")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--stats", is_flag=True, help="Also print the time, size and peak memory.")
def import_fhir(paths, stats):
    """Import FHIR R4 bundles: create or update patients and their records.

    PATHS are bundle files (JSON, type transaction or collection, one Patient each) or
    folders, of which every *.json file is read. Each bundle is imported in one
    transaction: a bundle that is not valid JSON or FHIR, or refers to a resource it does
    not hold, is skipped whole and the reason printed. Importing the same bundle again
    changes nothing; items missing from a later bundle are kept. Exits with status 1 when
    any file was skipped.
    """
    from portal.fhir.importer import import_files
    from portal.fhir.report import report_lines

    run = import_files(list(paths))
    for line in report_lines(run, stats=stats):
        click.echo(line)
    if any(result.error for result in run.files):
        raise SystemExit(1)


@portal_cli.command("load-terminology")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False,
                                                        path_type=Path))
def load_terminology(file):
    """Add the patient-friendly names of codes that the table does not have yet.

    FILE is a UTF-8 CSV with the columns system, code, name_en, name_nl, name_pl,
    explanation_en, explanation_nl and explanation_pl; without it, the starter set the
    portal ships (portal/terminology/starter.csv: every code in the demo records and the
    Synthea sample bundles). Entries already in the table, whether staff changed them or
    not, are left as they are, so running it again after an upgrade only adds new codes.
    """
    from portal.terminology.services import STARTER, load_starter

    added = load_starter(file or STARTER)
    click.echo(f"{added} new entr{'y' if added == 1 else 'ies'} added to the terminology.")


@portal_cli.command("import-questionnaire")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_questionnaire(file):
    """Import a FHIR R4 Questionnaire (JSON) as a draft form.

    Items of type string, text, integer, decimal, date, choice, open-choice and boolean
    become questions (groups are flattened; other items are skipped and listed). Wording
    in Dutch and Polish comes from the FHIR translation extension, else the item's text
    is used for every language. Review the draft in the staff pages, then put it in use.
    Exits with status 1 when the file cannot be imported or was imported before.
    """
    from portal.questionnaires.fhir_import import QuestionnaireImportError
    from portal.questionnaires.fhir_import import import_questionnaire as run

    try:
        result = run(file)
    except QuestionnaireImportError as error:
        click.echo(str(error), err=True)
        raise SystemExit(1) from None
    form = result.questionnaire
    click.echo(f"Imported \"{form.titles.get('en', '')}\" as draft form {form.id} with "
               f"{len(form.questions)} questions.")
    for item in result.skipped:
        click.echo(f"Skipped item {item}.")


@portal_cli.command("send-reminders")
def send_reminders():
    """E-mail a reminder for each booked appointment that starts within the clinic's
    reminder window (reminder_hours, 24 by default) and has had none yet.

    Run it from cron, e.g. every 15 minutes. Each appointment gets at most one reminder,
    however often the command runs; patients who switched appointment e-mails off get
    none. Exits with status 1 when any reminder could not be sent (it is tried again
    next time).
    """
    from portal.appointments.notify import send_reminders as send

    counts = send()
    click.echo(f"Reminders sent: {counts['sent']}, not wanted: {counts['skipped']}, "
               f"failed: {counts['failed']}")
    if counts["failed"]:
        raise SystemExit(1)


@portal_cli.command("send-daily-summary")
def send_daily_summary():
    """E-mail each person who chose a daily summary (for any kind, in their notification
    settings) one summary of what has become new since the last one.

    Run it from cron once a day, e.g. at 07:00. The summary only counts what waits (new
    messages, results, bills, ...) and links to it, never what it is. A person is never
    sent the same notice twice, however often the command runs; the mails go to the
    outbox, which `flask portal send-mail` sends.
    """
    from portal.account.notify import send_daily_summaries

    counts = send_daily_summaries()
    click.echo(f"Daily summaries: {counts['sent']}, nothing left to say: {counts['skipped']}")


def _size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024


def _files(count: int) -> str:
    return f"{count} uploaded file{'' if count == 1 else 's'}"


@portal_cli.command("backup")
@click.option("--output", "-o", type=click.Path(path_type=Path), metavar="DIR|FILE",
              help="A folder to write the archive into, named "
                   "portal-backup-YYYYmmdd-HHMMSS.tar.gz (UTC), or the archive's own file "
                   "name ending in .tar.gz. Default: backups/ in the instance folder "
                   "(PORTAL_INSTANCE_DIR).")
def backup(output):
    """Back up the database, uploaded files included, into one archive.

    Safe while the portal runs. SQLite is copied with SQLite's online backup; PostgreSQL
    with pg_dump (custom format), which must be at least as new as the server and uses
    the credentials in PORTAL_DATABASE_URL. The archive (.tar.gz, readable only by the
    user who made it) also holds a manifest: portal version, database migration, kind
    of database, time made (UTC) and the sha256 of every file.

    The archive holds health data: keep it encrypted, off this server, and as safe as the
    database itself. Prints the archive's path and size, nothing of its contents. Run it
    daily from cron, e.g.:

    \b
      15 2 * * *  cd /srv/portal && .venv/bin/flask --app wsgi portal backup -o /srv/backups
    """
    from portal.backup import BackupError, create_backup

    try:
        made = create_backup(output)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backup written: {made.path} ({_size(made.size)})")


@portal_cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True,
              help="Replace the current database without asking.")
def restore(archive, yes):
    """Replace the database (uploaded files included) with the one in ARCHIVE.

    ARCHIVE is a file made by `flask portal backup`. It is checked first (every file
    against its checksum in the manifest; the kind of database; the migration it is at)
    and nothing is changed when it is damaged, holds another kind of database, or comes
    from a newer version of the portal than this one. Then, after you confirm (or with
    --yes), the whole current database is replaced: anything stored since the backup was
    made is lost. Stop the portal first.

    SQLite is restored in one transaction; PostgreSQL with pg_restore --clean --if-exists
    in one transaction. Nothing else is run: when the backup is from an older version of
    the database, run `flask db upgrade` afterwards, as the command says. An archive made
    before uploaded files were kept in the database also holds the upload folder: it is
    put in place of PORTAL_UPLOAD_DIR, and `flask db upgrade` moves its files into the
    database. The restored database's audit trail gets a line naming the archive.
    """
    from portal.backup import BackupError, prepare_restore

    try:
        with prepare_restore(archive) as prepared:
            click.echo(f"{archive.name} checked: made {prepared.manifest.get('created_at')} "
                       f"by portal {prepared.manifest.get('portal_version')}, {prepared.kind} "
                       f"database at migration {prepared.revision}"
                       + (f", {_files(prepared.uploads)} from before files were kept in "
                          "the database." if prepared.uploads else "."))
            if not yes:
                click.confirm("This replaces the current database, uploaded files included; "
                              "anything stored since the backup was made is lost. Restore?",
                              abort=True)
            prepared.apply()
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo("Restored the database, uploaded files included.")
    if prepared.uploads:
        click.echo(f"The backup's {_files(prepared.uploads)} are in {prepared.old_uploads}, "
                   "where `flask --app wsgi db upgrade` moves them into the database.")
    if prepared.dropped_tables:
        click.echo(f"Dropped {len(prepared.dropped_tables)} table(s) the backup did not have "
                   f"(made by a newer migration): {', '.join(prepared.dropped_tables)}.")
    if prepared.needs_upgrade:
        click.echo(f"The backup's database is at migration {prepared.revision}, older than "
                   f"this code ({prepared.head}): run `flask --app wsgi db upgrade` now, "
                   "before starting the portal.")


@portal_cli.command("review-proxies")
@click.option("--dry-run", is_flag=True,
              help="Only count what would change; change nothing and send no e-mail.")
def review_proxies(dry_run):
    """End the proxy access that the clinic's age rules or an end date require, and tell
    the people involved by e-mail.

    Run it from cron once a day, e.g. just after midnight. A parent's or guardian's access
    ends at the age the clinic's rules set (Netherlands preset: 16; Poland: 18; or the
    custom ages), and from the consent age (Netherlands: 12) it waits until staff record
    the child's agreement; any grant ends the day after its end date. The person acting
    and, where they have an account, the patient get an e-mail that names no health
    information. Running it again changes nothing. The portal refuses such access on the
    day itself whether or not this has run. Exits with status 1 when an e-mail could not
    be sent (that change is tried again next time).
    """
    from portal.family.review import review_proxies as review

    counts = review(dry_run=dry_run)
    prefix = "Would change (dry run): " if dry_run else ""
    click.echo(f"{prefix}access ended: {counts['ended']}, waiting for the child's agreement: "
               f"{counts['consent']}, e-mails sent: {counts['mails']}, "
               f"failed: {counts['failed']}")
    if counts["failed"]:
        raise SystemExit(1)


@portal_cli.command("send-mail")
@click.option("--once", is_flag=True,
              help="Send what is due now and stop (for cron and tests); without it, keep "
                   "running and look again every PORTAL_MAIL_POLL_SECONDS (for systemd).")
def send_mail_command(once):
    """Send the e-mails waiting in the outbox to the mail server (PORTAL_SMTP_HOST).

    Pages only store their e-mails; this sends them, so a slow or absent mail server
    never slows a page. A failed e-mail is tried again later, waiting twice as long each
    time (PORTAL_MAIL_RETRY_SECONDS), and after PORTAL_MAIL_MAX_ATTEMPTS attempts, or at
    once when the server refuses it for good, it is given up on and listed for
    administrators under Staff, Outgoing mail. Several senders may run at once: each
    e-mail is sent by one of them. SIGTERM finishes the e-mail in hand, then stops.
    """
    from flask import current_app

    from portal.mail.delivery import deliver_due, run_forever

    if not once:
        run_forever(current_app.config["MAIL_POLL_SECONDS"])
        return
    counts = deliver_due()
    click.echo(f"sent: {counts['sent']}, to try again: {counts['pending']}, "
               f"given up: {counts['dead']}")


def init_app(app: Flask) -> None:
    app.cli.add_command(portal_cli)
