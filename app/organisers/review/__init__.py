"""The review desk: fraud figures, bulk actions with undo, surge alerts, names, signing lists."""
