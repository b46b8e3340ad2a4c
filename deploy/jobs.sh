#!/bin/sh
# The periodic jobs where there is no systemd or cron (the `jobs` service of deploy/compose.yaml); on a server,
# use the timers in deploy/systemd instead. Both commands are idempotent.
#   escalate_alerts              every 5 minutes
#   send_questionnaire_reminders once an hour from 07:30 to 19:30 in the clinic's TIME_ZONE
set -u
last=""
while true; do
    python manage.py escalate_alerts || echo "jobs.sh: escalate_alerts failed; trying again in 5 minutes" >&2
    # This hour's mark ("2026-03-02 08") when it is past half past, from 07:30 to 19:59 on the clinic's clock.
    hour=$(python -c 'import os, datetime, zoneinfo
now = datetime.datetime.now(zoneinfo.ZoneInfo(os.environ.get("TIME_ZONE", "America/Chicago")))
print(now.strftime("%Y-%m-%d %H") if 7 <= now.hour <= 19 and now.minute >= 30 else "")')
    if [ -n "$hour" ] && [ "$hour" != "$last" ]; then
        python manage.py send_questionnaire_reminders && last=$hour
    fi
    sleep 300
done
