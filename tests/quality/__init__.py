"""Quality gates that check every GET route automatically: markup, size, queries, a11y."""
