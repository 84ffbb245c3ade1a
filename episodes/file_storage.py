"""Media files that appear whole or not at all.

Stored names carry their content's hash, and a file already under its name is never written again
(episodes/images.py): a file cut short by an interrupted import or a full disk would stay broken
for good. So a file is written under a temporary name in the same folder, then linked to its
real name in one step. An interruption leaves at most a hidden ``.partial-*`` file, which no page
names. (Object storage such as S3 needs none of this: an upload is whole or absent.)
"""

import os
import posixpath
import secrets

from django.core.files.storage import FileSystemStorage


class AtomicFileSystemStorage(FileSystemStorage):
    def _save(self, name, content):
        folder, base = posixpath.split(name)
        partial = posixpath.join(folder, f".partial-{secrets.token_hex(8)}-{base}")
        try:
            partial = super()._save(partial, content)
        except BaseException:
            if os.path.exists(self.path(partial)):
                os.remove(self.path(partial))
            raise
        try:
            while True:
                try:
                    os.link(self.path(partial), self.path(name))  # fails, rather than overwrite, if taken
                    return name
                except FileExistsError:
                    name = self.get_available_name(name)
                except OSError:  # a file system without hard links: a rename is atomic too
                    os.replace(self.path(partial), self.path(name))
                    return name
        finally:
            if os.path.exists(self.path(partial)):
                os.remove(self.path(partial))
