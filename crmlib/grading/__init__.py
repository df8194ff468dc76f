"""The papermill batch grader behind ``crm grade``.

- :mod:`crmlib.grading.notebooks`: exercises from solutions, reading
  submissions, injecting parameters.
- :mod:`crmlib.grading.sandbox`: running one submission under bubblewrap and
  resource limits, cold (a fresh sandbox) or as a fork of a warm sandbox
  (:class:`~crmlib.grading.sandbox.WarmPool`, with the warm process in
  :mod:`crmlib.grading._zygote` and the runner in :mod:`crmlib.grading._runner`).
- :mod:`crmlib.grading.core`: grading one submission (run, then score in the
  grader's process).
- :mod:`crmlib.grading.batch`: a class's submissions, the gradebook, resume,
  reports, local or Dask execution.
- :mod:`crmlib.grading.variants`: handing the student's simulated data variant
  to the kernel, so it is simulated once (read by :func:`crmlib.data.load_harbor`).

Submodules are imported on use: the sandboxed runner imports only what it needs.
"""
