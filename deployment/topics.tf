# Kafka topics and partition counts: the same list as libs/common/src/kafka/topics.ts
# (allTopicSpecs(), DLQs included). deployment/test/terraform.test.ts fails when they differ.
locals {
  kafka_topics = {
    "organisation.updated"        = 6
    "organisation.updated.dlq"    = 6
    "event.published"             = 6
    "event.published.dlq"         = 6
    "event.updated"               = 6
    "event.updated.dlq"           = 6
    "event.cancelled"             = 6
    "event.cancelled.dlq"         = 6
    "buffer.closed"               = 6
    "buffer.closed.dlq"           = 6
    "queue.assigned"              = 12
    "queue.assigned.dlq"          = 12
    "queue.progress"              = 6
    "queue.progress.dlq"          = 6
    "queue.admitted"              = 12
    "queue.admitted.dlq"          = 12
    "inventory.changed"           = 6
    "inventory.changed.dlq"       = 6
    "order.created"               = 12
    "order.created.dlq"           = 12
    "order.completed"             = 12
    "order.completed.dlq"         = 12
    "order.expired"               = 12
    "order.expired.dlq"           = 12
    "order.cancelled"             = 12
    "order.cancelled.dlq"         = 12
    "payment.authorized"          = 12
    "payment.authorized.dlq"      = 12
    "payment.captured"            = 12
    "payment.captured.dlq"        = 12
    "payment.voided"              = 12
    "payment.voided.dlq"          = 12
    "payment.refunded"            = 12
    "payment.refunded.dlq"        = 12
    "payment.failed"              = 12
    "payment.failed.dlq"          = 12
    "payment.refund_failed"       = 12
    "payment.refund_failed.dlq"   = 12
    "payment.disputed"            = 12
    "payment.disputed.dlq"        = 12
    "refund.requested"            = 12
    "refund.requested.dlq"        = 12
  }
}

# Needs network reach to the private brokers: apply with manage_kafka_topics = true only from a
# runner inside the VPC (docs/operations.md). Services create missing topics at start-up too.
provider "kafka" {
  bootstrap_servers = split(",", module.msk.bootstrap_brokers_sasl_scram)
  tls_enabled       = true
  sasl_mechanism    = "scram-sha512"
  sasl_username     = module.msk.scram_username
  sasl_password     = module.msk.scram_password
}

module "kafka_topics" {
  source = "./modules/kafka_topics"
  count  = var.manage_kafka_topics ? 1 : 0
  topics = local.kafka_topics
}
