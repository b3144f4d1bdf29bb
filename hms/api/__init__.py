"""The REST API (/api/v1/, OpenAPI at /api/schema/, docs at /api/docs/): a thin layer over the
services and selectors the pages use, so the permission matrix, care scope, break-the-glass
and the audit log apply to it unchanged.

The shared pieces: `auth` (bearer tokens: issue, check, revoke, end with the account; the
FHIR API reuses `ApiTokenMiddleware`/`BearerTokenAuthentication`), `errors` (the one problem
body, `Conflict` 409 and `Unprocessable` 422), `pagination` (cursors), `permissions` (who may
call at all), `base` (`HospitalAPIView`: `self.hospital`, `self.acting_user`,
`self.client_address`), `serializers` (`InputSerializer`: the forms' text rules), `schema`.

Adding a resource (say appointments):
1. `hms/api/appointments.py`: an `InputSerializer` that parses the body into the values the
   service takes, a `ModelSerializer`-like output serializer, and `HospitalAPIView`
   subclasses whose methods call ONE service or selector with `acting_user=self.acting_user`
   and `client_address=self.client_address`; never the ORM for a write. A list calls the
   page's selector with `page_number=self.paginator.page_number(request)` and answers
   `self.paginator.response(page, data)`. Declare `@extend_schema(...)` where the serializer
   does not say it all (query parameters, a 201, a 409).
2. Its paths in `urlpatterns` of that module, added to `hospital_patterns` in `hms/api/urls.py`
   (they live under /api/v1/hospitals/<CODE>/, where the hospital middleware has selected the
   hospital and checked membership).
3. Its rows in `hms/api/tests/test_matrix.py` (every role's expected status) and its tests;
   `spectacular --validate --fail-on-warn` and the schemathesis run must stay clean.
"""
