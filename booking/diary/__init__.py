"""The headache diary: one entry per patient per Kyiv date through the private link, its figures
(figures.py, pure), its reminders, what clinicians see and what the outcomes report adds.
Definitions: shared/clinical.md, "Headache diary and durability"."""
