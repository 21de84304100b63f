"""The building blocks of the intake's forms (the diary and the follow-up pages use them too):
validators that check shape, fields that keep what was typed and give the documented answer, and
the base forms that turn their fields into answers, summaries and messages next to fields.

Every form built on IntakeForm (and every RowForm) has
- `to_answers()`: the step's answers dict, values converted to the documented types (int, bool,
  str, list, None), or left as typed where conversion failed (the form then has an error);
- `Form(formdata=None, data=answers)`: the form filled from saved answers;
- `add_errors(fields)`: the service's InvalidAnswers.fields put next to their fields (row keys
  such as "acute-0-days_per_month" included);
- `summary()`: the answers as label/text pairs for the read-only pages.
"""
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, FieldList, Form, StringField
from wtforms.validators import StopValidation, ValidationError

REQUIRED = _l("Please answer this question.")
CHOOSE_ONE = _l("Please choose one of the options.")
CHOOSE_FROM = _l("Please choose from the options.")
WHOLE_NUMBER = _l("Please enter a whole number, for example 4.")
NOT_GIVEN = _l("Not answered")
NONE_LISTED = _l("None")
YES = _l("Yes")
NO = _l("No")


# --- Validators --------------------------------------------------------------------------------

def _blank(value):
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


class Required:
    """The question must be answered (a tick box: ticked)."""

    field_flags = {"required": True}

    def __init__(self, message=REQUIRED):
        self.message = message

    def __call__(self, form, field):
        if _blank(field.data) or (isinstance(field, BooleanField) and not field.data):
            raise StopValidation(self.message)


class MaxLength:
    def __init__(self, most):
        self.most = most
        self.message = _l("Please keep this to %(n)d characters.", n=most)

    def __call__(self, form, field):
        if field.data is not None and len(str(field.data)) > self.most:
            raise ValidationError(self.message)


# --- Fields ------------------------------------------------------------------------------------

class WholeNumberField(StringField):
    """A whole number typed in a text box (a phone shows the number pad). The typed text is kept,
    so a person who typed "about 5" sees it again with a message next to it."""

    PATTERN = re.compile(r"[+-]?[0-9]{1,6}")

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"inputmode": "numeric", "autocomplete": "off",
                     **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def process_data(self, value):
        self.data = value  # an int from saved answers, or None

    def pre_validate(self, form):
        if _blank(self.data) or (isinstance(self.data, int) and not isinstance(self.data, bool)):
            return
        if not self.PATTERN.fullmatch(str(self.data).strip()):
            raise StopValidation(WHOLE_NUMBER)

    def answer(self):
        value = self.data
        if _blank(value):
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        return int(text) if self.PATTERN.fullmatch(text) else text

    def display(self):
        return NOT_GIVEN if _blank(self.data) else str(self.data)


class ChoiceField(Field):
    """One of a fixed list of choices, drawn by the templates as radio buttons (`style` "radios",
    "inline" for short lists such as yes/no, "scale" for 0-10) or as a select ("select").

    The data is the posted text (kept as sent); `answer()` gives the documented value.
    """

    def __init__(self, label=None, validators=None, choices=(), style="radios", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.choices = [(self.to_form(value), text) for value, text in choices]
        self.style = style

    @staticmethod
    def to_form(value):
        return str(value)

    def process_data(self, value):
        self.data = None if _blank(value) else self.to_form(value)

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = valuelist[0]

    def _value(self):
        return "" if self.data is None else str(self.data)

    def selected(self, value):
        return self.data is not None and str(self.data) == str(value)

    def pre_validate(self, form):
        if not _blank(self.data) and self.data not in {value for value, _text in self.choices}:
            raise StopValidation(CHOOSE_ONE)

    def answer(self):
        return None if _blank(self.data) else self.data

    def display(self):
        for value, text in self.choices:
            if self.selected(value):
                return text
        return NOT_GIVEN if _blank(self.data) else str(self.data)


class NumberChoiceField(ChoiceField):
    """A choice whose documented value is an int (PHQ-9 / GAD-7 items, pain 0-10)."""

    def answer(self):
        value = super().answer()
        if value is not None and value in {v for v, _text in self.choices}:
            return int(value)
        return value


class YesNoField(ChoiceField):
    """A yes/no question (a bool in the answers), asked explicitly: no answer is not "no"."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, choices=(("yes", YES), ("no", NO)), style="inline",
                         **kwargs)

    @staticmethod
    def to_form(value):
        if value is True:
            return "yes"
        if value is False:
            return "no"
        return str(value)

    def answer(self):
        return {"yes": True, "no": False}.get(self.data, self.data)


class MultiChoiceField(Field):
    """Tick as many as apply (a list of codes in the answers, in the offered order)."""

    style = "checkboxes"

    def __init__(self, label=None, validators=None, choices=(), **kwargs):
        super().__init__(label, validators, **kwargs)
        self.choices = [(str(value), text) for value, text in choices]

    def process_data(self, value):
        self.data = [str(v) for v in value] if isinstance(value, (list, tuple)) else []

    def process_formdata(self, valuelist):
        self.data = list(valuelist)

    def selected(self, value):
        return value in (self.data or [])

    def pre_validate(self, form):
        offered = {value for value, _text in self.choices}
        if any(value not in offered for value in self.data or []):
            raise StopValidation(CHOOSE_FROM)

    def answer(self):
        given = list(self.data or [])
        offered = [value for value, _text in self.choices]
        if all(value in offered for value in given):
            return [value for value in offered if value in given]
        return given

    def display(self):
        texts = [str(text) for value, text in self.choices if self.selected(value)]
        return ", ".join(texts) if texts else NONE_LISTED


def labelled(codes, labels):
    """(code, label) pairs in the contract's order; a code without a label fails at import."""
    return [(code, labels[code]) for code in codes]


def _answer_of(field):
    if isinstance(field, FieldList):
        return [entry.form.to_answers() for entry in field.entries]
    if hasattr(field, "answer"):
        return field.answer()
    if isinstance(field, BooleanField):
        return bool(field.data)
    return "" if field.data is None else str(field.data).strip()


def _display_of(field):
    if hasattr(field, "display"):
        return field.display()
    if isinstance(field, BooleanField):
        return YES if field.data else NO
    return NOT_GIVEN if _blank(field.data) else str(field.data)


@dataclass
class Answer:
    """One line of a read-only summary; `rows` is set for a list of rows (medicines)."""

    key: str
    label: str
    text: str = ""
    rows: list | None = None


class _Answers:
    """What every intake form (and row form) shares."""

    FIELD_ORDER = ()  # when set: the order of the fields on the page and in summaries

    def answer_fields(self):
        fields = [field for name, field in self._fields.items() if name != "csrf_token"]
        if self.FIELD_ORDER:
            fields.sort(key=lambda field: self.FIELD_ORDER.index(field.short_name))
        return fields

    def to_answers(self):
        return {field.short_name: _answer_of(field) for field in self.answer_fields()}

    def summary(self):
        lines = []
        for field in self.answer_fields():
            if isinstance(field, FieldList):
                rows = [entry.form.summary() for entry in field.entries]
                lines.append(Answer(field.short_name, str(field.label.text), rows=rows))
            else:
                lines.append(Answer(field.short_name, str(field.label.text),
                                    str(_display_of(field))))
        return lines


class RowForm(_Answers, Form):
    """One row of a repeatable table (no CSRF token of its own: the page's form has it)."""

    def is_blank(self):
        return all(_blank(field.data) for field in self)


ROW_KEY = re.compile(r"^([a-z_]+)-([0-9]+)-([a-z_0-9]+)$")


class IntakeForm(_Answers, FlaskForm):
    step = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.general_errors = []  # messages for keys that name no field here
        self.list_errors = {}  # messages about a whole list of rows, by list name

    def add_errors(self, fields):
        """Put the service's messages next to the fields they belong to."""
        for key, message in fields.items():
            target = self._error_target(key)
            if target is None:
                self.general_errors.append(str(message))
            elif isinstance(target, FieldList):
                self.list_errors.setdefault(key, []).append(str(message))
            else:
                target.errors = [*target.errors, str(message)]

    def _error_target(self, key):
        if key in self._fields and key != "csrf_token":
            return self._fields[key]
        match = ROW_KEY.match(key)
        if match:
            rows = self._fields.get(match[1])
            index = int(match[2])
            # Rows are counted by position: the n-th row sent is the n-th row on the page.
            if isinstance(rows, FieldList) and index < len(rows.entries):
                return rows.entries[index].form._fields.get(match[3])
        return None
