"""Capture: a touchpoint from one typed line, the log form, a message shortcut or a Workflow Builder step, saved so
nothing typed is lost.

`parsing` reads a line (customer, kind, summary, tags, follow-up), `due_times` turns a follow-up's words into
an instant, `kinds` names what happened, `touchpoints` saves and changes touchpoints, `forms` reads the
log and follow-up forms, `steps` checks and logs the inputs of the step *Log a touchpoint*, and `records` turns
touchpoints and parsed lines into plain records for export.
"""
