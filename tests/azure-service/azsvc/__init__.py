"""cvmattest's local Azure-compatible service (TEST ONLY).

Microsoft Azure Attestation, Key Vault / Managed HSM Secure Key Release and
the Azure Instance Metadata Service, implemented from their documented REST
protocol so that cvmattest can be tested without Azure.  Everything it signs
is signed by keys generated into its state directory: nothing it issues is
trustworthy outside tests.
"""
