"""The worker: `flask --app wsgi worker` runs every periodic job on its schedule (README, "The
worker (periodic jobs)").

- schedule.py  PURE: when a job falls due (every N minutes on the clock, or daily at a time)
- jobs.py      the jobs, each calling its CLI command's function; where new jobs are added
- locks.py     one `job_lock` row per job, taken with a conditional UPDATE and a lease
- runner.py    the loop and the log line per run; cli.py the command
"""
