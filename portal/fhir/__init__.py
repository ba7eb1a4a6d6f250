"""FHIR R4 exchange: importing a clinic's bundles into patients and their records.

`bundles` reads and validates a bundle and resolves its references, `mapping` (with
`datatypes` and `details`) turns a resource into a RecordItem row, `patients` the Patient
resource into a Patient, `importer` stores a bundle in one transaction and `report`
words the outcome for `flask portal import-fhir`.
"""
