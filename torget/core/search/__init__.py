"""Site search: one index of pages, posts, forms and hearings (DESIGN.md §4: SQLite FTS5 with
Norwegian stemming by default, PostgreSQL's `norwegian` text search when scaled).

Modules above core put their documents in with `index.document_upsert` and take them out with
`index.document_delete`; they register how their kind is named and grouped with
`registry.register_kind`. Core imports no module above it.
"""
