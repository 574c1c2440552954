"""The App Home tab's read side: a person's world gathered from the registry and the database."""
