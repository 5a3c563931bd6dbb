"""gunicorn's settings for eventsvc; gunicorn reads this file when it starts in this directory.

Only what the application needs of every deployment: the access log masks registrants' and
organizers' private tokens (eventsvc/access_log.py). A deployment that passes its own ``-c FILE``
sets ``logger_class`` there too.
"""

logger_class = "eventsvc.access_log.MaskingLogger"
