"""moto server, with the Resource Groups Tagging API answering for the types the pack reads tags of in bulk.

Run as `python3 scripts/lib/moto_server.py -H 127.0.0.1 -p PORT` (scripts/lib/moto-server.ts does); it takes
moto.server's arguments. moto 5.2.1's GetResources (moto/resourcegroupstaggingapi/models.py) leaves out Kinesis data
streams and Kinesis video streams ("# Kinesis" is an empty section), answers Firehose only for the bare `firehose`
filter (not `firehose:deliverystream`), and knows ElastiCache only under its own type names
(`elasticache:cache_clusters`, `elasticache:replication-group`), not AWS's (`elasticache:cluster`,
`elasticache:replicationgroup`, as in the ARNs). On AWS, "The GetResources, GetTagKeys, and GetTagValues operations
support all resource types" (https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/supported-services.html).
This fills exactly those gaps from moto's own stores, with AWS's semantics: only tagged resources are returned, and
everything else (paging, tag filters of other types, authorization) stays moto's.
"""

import sys

from moto.kinesis.models import kinesis_backends
from moto.kinesisvideo.models import kinesisvideo_backends
from moto.resourcegroupstaggingapi.models import ResourceGroupsTaggingAPIBackend
from moto.server import main

_original = ResourceGroupsTaggingAPIBackend._get_resources_generator

# AWS's `service:type` filters moto's own sections answer only under the bare service name: the service to ask
# moto for, and the ARN part that tells the type.
_BY_SERVICE = {
    "elasticache:replicationgroup": ("elasticache", ":replicationgroup:"),
    "elasticache:cluster": ("elasticache", ":cluster:"),
    "firehose:deliverystream": ("firehose", ":deliverystream/"),
}


def _matches(tags, tag_filters):
    for f in tag_filters or []:
        values = f.get("Values") or []
        if not any(t["Key"] == f["Key"] and (not values or t["Value"] in values) for t in tags):
            return False
    return True


def _get_resources_generator(self, tag_filters=None, resource_type_filters=None):
    filters = list(resource_type_filters or [])
    yield from _original(self, tag_filters=tag_filters, resource_type_filters=resource_type_filters)
    if not filters:
        # moto's own answer already holds every ElastiCache type; add only the missing services.
        filters = ["kinesis", "kinesisvideo"]
    for name, (service, part) in _BY_SERVICE.items():
        if name in filters and service not in filters:
            for item in _original(self, tag_filters=tag_filters, resource_type_filters=[service]):
                if part in item["ResourceARN"]:
                    yield item
    if "kinesis" in filters or "kinesis:stream" in filters:
        for stream in kinesis_backends[self.account_id][self.region_name].streams.values():
            tags = [{"Key": k, "Value": v} for k, v in (stream.tags or {}).items()]
            if tags and _matches(tags, tag_filters):
                yield {"ResourceARN": stream.arn, "Tags": tags}
    if "kinesisvideo" in filters or "kinesisvideo:stream" in filters:
        for stream in kinesisvideo_backends[self.account_id][self.region_name].streams.values():
            tags = [{"Key": k, "Value": v} for k, v in (stream.tags or {}).items()]
            if tags and _matches(tags, tag_filters):
                yield {"ResourceARN": stream.arn, "Tags": tags}


ResourceGroupsTaggingAPIBackend._get_resources_generator = _get_resources_generator

if __name__ == "__main__":
    main(sys.argv[1:])
