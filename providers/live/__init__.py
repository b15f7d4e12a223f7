"""Live DNS: the query pipeline, nameservers, observations, verdicts, resolver views,
Outlook's walk (doctor), the local server and the status page. Never the planner."""
