"""Backups of the shared database and of each hospital's: taken online, compressed, encrypted
with the hospital's own key, described by a manifest, restored only after they are verified.

`keys` holds the per-hospital keys (files outside every database), `crypto` the streaming
encryption, `catalog` the backup folder (manifests, choosing a backup, retention), `backup`
takes backups, `restore` restores them (and the drill), `health` is `check_hospitals`.
"""
