"""Background jobs (issue 11): the year's workbook, every sheet as PDF, the trackers' sync and
the daily digest, run by an RQ worker when REDIS_URL is set and in the request otherwise."""
