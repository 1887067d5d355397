"""The HCL reader of the Terraform collector: ``.tf`` directories -> ``TerraformReading``.

Modules: ``parse`` (python-hcl2 parse tree -> ``syntax``), ``evaluate`` (expressions, with
``values`` and ``functions``), ``config`` and ``modules`` (declarations, module instances,
count/for_each), ``data_sources`` and ``policy_document`` (data sources answered statically),
``suppressions`` (inline ``iamscope:ignore``), ``read`` (the entry point, variables files).
"""

from iamscope.collect.terraform.hcl.read import read_hcl

__all__ = ["read_hcl"]
