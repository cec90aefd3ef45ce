# Topics with the partition counts of libs/common/src/kafka/topics.ts (a test keeps them equal).
# Runs the Mongey/kafka provider, which must reach the private brokers: apply it from a runner
# inside the VPC (see docs/operations.md). The services also create missing topics at start-up
# from the same list, so a first deploy works before this module has been applied.
terraform {
  required_providers {
    kafka = {
      source = "Mongey/kafka"
    }
  }
}

resource "kafka_topic" "this" {
  for_each           = var.topics
  name               = "${var.topic_prefix}${each.key}"
  partitions         = each.value
  replication_factor = var.replication_factor
  config = {
    "min.insync.replicas" = tostring(var.min_insync_replicas)
    "cleanup.policy"      = "delete"
    # Dead letters are kept longer: somebody has to look at them.
    "retention.ms" = endswith(each.key, ".dlq") ? tostring(var.dlq_retention_ms) : tostring(var.retention_ms)
  }
}
