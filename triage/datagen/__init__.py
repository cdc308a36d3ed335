"""The project's own labelled fan messages, written from templates.

Run ``python -m triage.datagen`` to rewrite ``triage/data/*.jsonl``;
the output is deterministic (seeded), so a diff shows exactly what a template
change did.
"""
