"""The CI gate (``iamscope check``): policy rules over documents, the blast-radius delta of a
Terraform plan, baselines and inline suppressions, tied together by ``gate.run_check`` into
a ``model.check.CheckResult`` that the reports render (docs/ci.md)."""
