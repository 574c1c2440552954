"""Contract changes in Slack: change notices (`notices`) and scheduled schema drift (`drift`)."""
