"""The Terraform collector: HCL source directories and ``terraform show -json`` plans.

Both readers produce ``TerraformResource`` records (``resources.py``); one normalizer turns
records into an ``Inventory`` with source locations.
"""
