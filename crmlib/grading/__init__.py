"""The papermill batch grader behind ``crm grade``.

- :mod:`crmlib.grading.notebooks`: exercises from solutions, reading
  submissions, injecting parameters.
- :mod:`crmlib.grading.sandbox`: running one submission under bubblewrap and
  resource limits.
- :mod:`crmlib.grading.core`: grading one submission (run, then score in the
  grader's process).
- :mod:`crmlib.grading.batch`: a class's submissions, the gradebook, resume,
  reports, local or Dask execution.

Submodules are imported on use: the sandboxed runner imports only what it needs.
"""
