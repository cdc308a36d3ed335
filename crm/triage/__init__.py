"""Triage: classify fan messages, set priorities, sort fans, and say why.

* :mod:`crm.triage.classifier` - ``load_model()`` and ``Model.classify()``;
* :mod:`crm.triage.priority` - ``score_priority(classification, context)``;
* :mod:`crm.triage.segments` - fan segments and engagement;
* :mod:`crm.triage.train` - ``train()``, also per workspace with corrections;
* :mod:`crm.triage.evaluate` - the measures of the goals table;
* ``python -m crm.triage classify`` - the JSON Lines command-line contract.

This package module imports nothing heavy, so ``python -m crm.triage`` starts fast.
"""
