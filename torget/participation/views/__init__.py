"""The participation app's views, one module per part.

A process's public page and its staff page show each part (hearings, proposals, short views,
forums) through the part's `process_part(request, process)` and
`staff_process_part(request, process)`, which return rendered HTML ("" when the part has
nothing to show for the process)."""
