"""Reads the mails an aiosmtpd Mailbox handler wrote into a maildir and prints one JSON line per
mail: its recipients and subject, and its text/calendar part parsed with the icalendar package
(tests/api/meetings.rs). Usage: read_invitations.py MAILDIR"""

import json
import mailbox
import sys

from icalendar import Calendar

mails = []
for message in mailbox.Maildir(sys.argv[1], create=False):
    found = {"to": message.get_all("To", []), "subject": str(message["Subject"]), "events": []}
    for part in message.walk():
        if part.get_content_type() != "text/calendar":
            continue
        found["content_type"] = part.get("Content-Type")
        calendar = Calendar.from_ical(part.get_payload(decode=True))
        found["method"] = str(calendar.get("METHOD"))
        for event in calendar.walk("VEVENT"):
            found["events"].append({
                "uid": str(event.get("UID")),
                "sequence": int(event.get("SEQUENCE", 0)),
                "summary": str(event.get("SUMMARY")),
                "status": str(event.get("STATUS")),
                "start": event.decoded("DTSTART").isoformat(),
                "end": event.decoded("DTEND").isoformat(),
                "location": str(event.get("LOCATION", "")),
                "attendees": sorted(str(a) for a in (event.get("ATTENDEE") if isinstance(event.get("ATTENDEE"), list) else [event.get("ATTENDEE")] if event.get("ATTENDEE") else [])),
            })
    mails.append(found)
mails.sort(key=lambda mail: (mail["events"][0]["sequence"] if mail["events"] else -1, mail["subject"]))
for mail in mails:
    print(json.dumps(mail, ensure_ascii=False))
