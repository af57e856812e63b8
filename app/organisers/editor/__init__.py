"""Writing and publishing campaigns in the browser, in every language they need."""
