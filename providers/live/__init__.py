"""Live DNS: the query pipeline, confirm, doctor (Outlook's walk), the local server, the status page."""
