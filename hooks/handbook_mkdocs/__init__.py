"""The MkDocs side of the handbook: the `handbook` plugin and its typed options.

The domain package (`handbook`) never imports MkDocs; this package is the adapter between them.
It is a plugin class rather than a loose hooks file for three reasons: its options are declared
and typed, so MkDocs validates them and warns about unknown keys (`audiance:` is no longer a
silent internal build); its state lives on the instance, not in module globals that outlive a
build; and it is registered as an entry point, so `plugins: [handbook]` finds it wherever the
package is installed.
"""
