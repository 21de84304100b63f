"""Repeatable tables of rows in a form, added and removed with submit buttons, no JavaScript.

A form mixes in RowTables and gives: LIMITS (list name -> most rows allowed; its FieldLists read
one row more, so that too many rows gets a message), row_lists(), limit_message(name), and a
`list_errors` dict made in its __init__. A row's form says is_blank(); blank rows are ignored.
"""


class RowTables:
    """Buttons "add_<list>" and "remove_<list>" (= the row's position) change the rows."""

    LIMITS = {}

    def can_add(self, name):
        return len(self._fields[name].entries) < self.LIMITS[name]

    def drop_blank_rows(self):
        for rows in self.row_lists():
            rows.entries = [entry for entry in rows.entries if not entry.form.is_blank()]

    def add_blank_rows(self):
        """On a fresh page, one empty row in each table that has none, ready to fill in."""
        for rows in self.row_lists():
            if not rows.entries:
                rows.append_entry()

    def row_removed(self, rows):
        """Called after a row was removed from `rows` (nothing to do by default)."""

    def apply_row_buttons(self, formdata):
        """An "Add" or "Remove" button: True when one was pressed (the page is then shown again
        with what was typed, and nothing is saved)."""
        for rows in self.row_lists():
            if f"add_{rows.name}" in formdata:
                if self.can_add(rows.name):
                    rows.append_entry()
                else:
                    self.list_errors[rows.name] = [self.limit_message(rows.name)]
                return True
            removed = formdata.get(f"remove_{rows.name}")
            if removed is not None:
                if removed.isdigit() and int(removed) < len(rows.entries):
                    del rows.entries[int(removed)]
                    self.row_removed(rows)
                return True
        return False

    def validate(self, extra_validators=None):
        self.drop_blank_rows()
        valid = super().validate(extra_validators)
        for rows in self.row_lists():
            if len(rows.entries) > self.LIMITS[rows.name]:
                self.list_errors[rows.name] = [self.limit_message(rows.name)]
                valid = False
        return valid
