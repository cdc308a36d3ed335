"""The project's own labelled fan messages, written from templates.

Run ``python -m crm.triage.datagen`` to rewrite ``crm/triage/data/*.jsonl``;
the output is deterministic (seeded), so a diff shows exactly what a template
change did.
"""
