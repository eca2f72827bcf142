"""moto_server with permission set ARNs in the shape AWS gives them.

moto (5.2.x) names permission sets `arn:aws:sso:::instance/ssoins-…/ps-…`;
AWS names them `arn:aws:sso:::permissionSet/ssoins-…/ps-…`, and
ssomatrix-core's `PermissionSetArn` (rightly) accepts only the latter. This
shim corrects that one name and then runs moto's own server unchanged, so
every answer the contract tests check is still moto's.

Usage: python moto_server.py -H 127.0.0.1 -p PORT (the arguments of moto_server).
"""

import sys

from moto.moto_api._internal import mock_random as random
from moto.server import main
from moto.ssoadmin import models


def _aws_shaped_permission_set_arn(instance_arn: str) -> str:
    prefix, instance_id = instance_arn.rsplit(":instance/", 1)
    suffix = random.get_random_string(length=16).lower()
    return f"{prefix}:permissionSet/{instance_id}/ps-{suffix}"


models.PermissionSet.generate_id = staticmethod(_aws_shaped_permission_set_arn)

if __name__ == "__main__":
    sys.exit(main())
