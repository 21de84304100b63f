"""What the admin pages' forms share (the closures page's too): a group of tick boxes, the
practitioners as choices, a service's messages put next to their fields, and the signed-in staff
member who acts.
"""
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import FieldList, SelectChoice, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from .. import clinic_admin
from ..localized import localized


class CheckboxesField(SelectMultipleField):
    """Tick as many as apply (rendered by the admin templates' `checkboxes` macro)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def current_actor():
    return current_user._get_current_object()


def _field(form, key):
    if key in form._fields and key != "csrf_token":
        return form._fields[key]
    parts = key.split("-")
    if len(parts) == 3 and parts[1].isdigit() and isinstance(form._fields.get(parts[0]), FieldList):
        entries = form._fields[parts[0]].entries
        if int(parts[1]) < len(entries):
            return entries[int(parts[1])].form._fields.get(parts[2])
    return None


def add_errors(form, fields):
    """Put a service's messages next to their fields; return those that name no field."""
    general = []
    for key, message in fields.items():
        target = _field(form, key)
        if target is None:
            general.append(message)
        else:
            target.errors = [*target.errors, message]
    return general


def practitioner_choices(none_label):
    return [SelectChoice("", none_label)] + [
        SelectChoice(str(p.id), localized(p, "full_name") if p.active
                     else _("%(name)s (inactive)", name=localized(p, "full_name")))
        for p in clinic_admin.all_practitioners()
    ]
