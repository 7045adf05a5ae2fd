"""Domain types shared by every layer: enums, frozen dataclasses and the pure rules that go
with them. Data crosses the core/desktop boundary only as these types.

One module per concern: `cloud`, `connection`, `beacon`, `fields`, `imports`, `cancel`,
`licensing`, `saas`, `settings`, `spreadsheet`. Import from the module that defines a name.
"""
