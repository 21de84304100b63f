"""The diary in the patient's data rights: counted on the privacy page, in the export, removed
by erasure (with its medicines, settings, reminder links and the clinician's preventive notes)."""
from datetime import date

from sqlalchemy import func, select

from booking import patient_export, privacy
from booking.diary import reminders, services
from booking.extensions import db
from booking.models import DiaryEntry, DiaryLink, DiaryMedicine, DiarySettings, PreventiveStart
from tests.conftest import NOW


def fill(client, token, own_medicines):
    client.post(f"/manage/{token}/diary/2026-12-06", data={
        "headache": "yes", "duration": "30_min_to_4_h", "worst_pain": "5", "aura": "visual",
        "medicines": ["m0"]})
    client.post(f"/manage/{token}/diary/2026-12-07", data={"headache": "no"})


def test_the_export_holds_the_diary_days_with_their_medicines(client, booked, own_medicines):
    _appointment, token = booked
    fill(client, token, own_medicines)
    services.set_reminder(own_medicines, 19)
    data = patient_export.export_patient(own_medicines)
    diary = data["headache_diary"]
    assert [(e["date"], e["headache"], e["worst_pain"], e["aura"]) for e in diary["entries"]] == [
        ("2026-12-06", True, 5, "visual"), ("2026-12-07", False, None, "no")]
    assert diary["entries"][0]["medicines"] == [{"name": "Sumatriptan", "class": "triptan"}]
    assert diary["settings"]["reminder_hour"] == 19
    assert privacy.patient_holdings(own_medicines).counts["diary_entries"] == 2


def test_erasure_removes_every_diary_row(app, client, booked, own_medicines):
    _appointment, token = booked
    services.set_reminder(own_medicines, 9)
    assert len(reminders.queue_due_prompts(NOW)) == 1  # 09:00 Kyiv: a reminder link exists now
    fill(client, token, own_medicines)
    db.session.add(PreventiveStart(patient_id=own_medicines, started_on=date(2026, 12, 1)))
    db.session.commit()
    counts = privacy.erase_patient(own_medicines, "ERASE")
    assert (counts["diary_entries"], counts["diary_medicines"], counts["diary_links"],
            counts["preventive_starts"]) == (2, 1, 1, 1)
    for model in (DiaryEntry, DiaryMedicine, DiaryLink, DiarySettings, PreventiveStart):
        assert db.session.execute(select(func.count()).select_from(model)).scalar_one() == 0
    assert client.get(f"/manage/{token}/diary").status_code == 404
