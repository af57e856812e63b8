"""The embed widget: a campaign's sign form made to sit in other sites' pages."""
