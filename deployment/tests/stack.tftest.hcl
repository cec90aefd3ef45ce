# Plans the whole stack offline with a mocked AWS provider and checks what the stack exposes
# and promises. deployment/test/terraform-cli.test.ts runs it once per environment, with that
# environment's tfvars and `facts` read from the code (.local/terraform/code-facts.tfvars.json):
#   facts.required_env      service => variables its config schema requires in production
#   facts.poster_key_prefix the key prefix feed writes posters under
#   facts.sg_rule_quota     rules per security group and direction (AWS default 60)
#   facts.fairness_key_prefix the key prefix buffer writes fairness documents under
#   facts.dlq_log_messages  the log lines a service writes for a dead-lettered message
#   facts.beacon            the buffer's default beacon (drand quicknet) and the chain it pins
#   facts.dead_letters_metric the gauge of dead letters waiting per <topic>.dlq (libs/common)
#   facts.prometheus_metrics  the names every service's /metrics carries whatever the traffic

mock_provider "aws" {
  # Computed attributes get mock values at plan time, so assertions can read ARNs and ids.
  override_during = plan

  mock_data "aws_availability_zones" {
    defaults = { names = ["eu-central-1a", "eu-central-1b", "eu-central-1c"] }
  }
  # The provider checks policy documents as JSON even in a plan.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  # CloudFront's origin-facing list holds 55 IPv4 entries (its max entries as of 2026).
  mock_data "aws_ec2_managed_prefix_list" {
    defaults = { id = "pl-a3a144ca", max_entries = 55 }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111111111111" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:eu-central-1:111111111111:key/mock" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::ticketslave-images" }
  }
}

# The same mock for the us-east-1 provider CloudFront's web ACL is created with.
mock_provider "aws" {
  alias           = "us_east_1"
  override_during = plan
  mock_resource "aws_wafv2_web_acl" {
    defaults = { arn = "arn:aws:wafv2:us-east-1:111111111111:global/webacl/ticketslave/mock" }
  }
}

override_resource {
  target          = module.msk.aws_secretsmanager_secret.scram
  override_during = plan
  values          = { arn = "arn:aws:secretsmanager:eu-central-1:111111111111:secret:AmazonMSK_ticketslave_app-AbCdEf" }
}
override_resource {
  target          = module.network.aws_security_group.api_gateway_link
  override_during = plan
  values          = { id = "sg-api-gateway-link" }
}
override_resource {
  target          = module.network.aws_security_group.endpoints
  override_during = plan
  values          = { id = "sg-endpoints" }
}
override_resource {
  target          = module.cloudfront.aws_cloudfront_origin_request_policy.alb
  override_during = plan
  values          = { id = "orp-alb" }
}
override_resource {
  target          = module.s3.aws_s3_bucket.fairness
  override_during = plan
  values = {
    id                          = "ticketslave-fairness"
    arn                         = "arn:aws:s3:::ticketslave-fairness"
    bucket_regional_domain_name = "ticketslave-fairness.s3.eu-central-1.amazonaws.com"
  }
}
override_resource {
  target          = aws_secretsmanager_secret.origin
  override_during = plan
  values          = { arn = "arn:aws:secretsmanager:eu-central-1:111111111111:secret:ticketslave/origin-secret-AbCdEf" }
}
override_resource {
  target          = module.alarms.aws_sns_topic.alarms
  override_during = plan
  values          = { arn = "arn:aws:sns:eu-central-1:111111111111:ticketslave-alarms" }
}

# Distinct, known security group ids, so the rules can be told apart at plan time.
override_resource {
  target          = module.network.aws_security_group.alb
  override_during = plan
  values          = { id = "sg-alb" }
}
override_resource {
  target          = module.network.aws_security_group.services
  override_during = plan
  values          = { id = "sg-services" }
}
override_resource {
  target          = module.network.aws_security_group.rds
  override_during = plan
  values          = { id = "sg-rds" }
}
override_resource {
  target          = module.network.aws_security_group.msk
  override_during = plan
  values          = { id = "sg-msk" }
}

variables {
  image_tag = "0123456789ab"
}

run "exposure" {
  command = plan

  assert {
    condition = alltrue([for r in module.network.ingress_rules :
      r.source_group != null || (r.security_group == "alb" && r.from_port == 443 && r.to_port == 443)
    ])
    error_message = "Only the ALB's 443 may be reached from outside the VPC: ${jsonencode([for r in module.network.ingress_rules : r if r.source_group == null])}"
  }

  assert {
    condition = var.alb_open_to_internet || (
      length([for r in module.network.ingress_rules : r if r.source_group == null]) == 1 &&
      alltrue([for r in module.network.ingress_rules : r.prefix_list_id == module.network.cloudfront_prefix_list_id && r.cidr_ipv4 == null && r.cidr_ipv6 == null if r.source_group == null])
    )
    error_message = "The ALB takes only CloudFront's origin-facing prefix list, once, on 443."
  }

  assert {
    condition     = alltrue([for sg, use in module.network.rule_quota_use : use.ingress <= var.facts.sg_rule_quota && use.egress <= var.facts.sg_rule_quota])
    error_message = "A security group is over the rules quota (prefix lists count their max entries): ${jsonencode(module.network.rule_quota_use)}"
  }

  assert {
    condition     = module.rds.posture.publicly_accessible == false && module.rds.posture.storage_encrypted == true && module.rds.posture.force_ssl == "1"
    error_message = "RDS must be private, encrypted at rest and TLS-only: ${jsonencode(module.rds.posture)}"
  }

  assert {
    condition = (
      module.msk.posture.public_access == "DISABLED" && module.msk.posture.client_broker == "TLS" &&
      module.msk.posture.in_cluster == true && module.msk.posture.unauthenticated == false &&
      module.msk.posture.at_rest_kms_key != null
    )
    error_message = "MSK must be private, TLS in transit, encrypted at rest, authenticated: ${jsonencode(module.msk.posture)}"
  }

  assert {
    condition     = strcontains(module.rds.connection_query, "sslmode=verify-full") && strcontains(module.rds.connection_query, "sslrootcert=${local.rds_ca_bundle_path}")
    error_message = "DATABASE_URL must verify the server against the RDS CA bundle in the image: ${module.rds.connection_query}"
  }
}

run "configuration" {
  command = plan

  assert {
    condition     = toset(keys(local.ecs_services)) == toset(keys(var.facts.required_env))
    error_message = "Terraform runs ${jsonencode(keys(local.ecs_services))}, the code has ${jsonencode(keys(var.facts.required_env))}."
  }

  assert {
    condition = alltrue(flatten([for svc, names in var.facts.required_env : [
      for n in names : contains(concat(keys(local.ecs_services[svc].environment), keys(local.ecs_services[svc].secrets)), n)
    ]]))
    error_message = "Variables the code requires in production but the task definitions do not set: ${jsonencode({ for svc, names in var.facts.required_env : svc => [for n in names : n if !contains(concat(keys(local.ecs_services[svc].environment), keys(local.ecs_services[svc].secrets)), n)] })}"
  }

  assert {
    condition     = alltrue([for svc, s in local.ecs_services : length(setintersection(keys(s.environment), keys(s.secrets))) == 0])
    error_message = "A variable is both plain and secret."
  }
}

run "posters" {
  command = plan

  assert {
    condition     = jsondecode(local.task_policies.feed).Statement[0].Resource == "${module.s3.images_bucket_arn}/${var.facts.poster_key_prefix}*"
    error_message = "feed's task role must write exactly where the code puts posters (${var.facts.poster_key_prefix}): ${local.task_policies.feed}"
  }

  assert {
    condition     = contains(jsondecode(local.task_policies.feed).Statement[0].Action, "s3:PutObject")
    error_message = "feed must be allowed to put posters."
  }

  assert {
    condition     = startswith("/${var.facts.poster_key_prefix}", trimsuffix(module.cloudfront.images_path_pattern, "*"))
    error_message = "CloudFront serves ${module.cloudfront.images_path_pattern} from the images bucket; posters under ${var.facts.poster_key_prefix} would not be public."
  }

  assert {
    condition     = local.ecs_services.feed.environment.S3_PUBLIC_BASE_URL == local.public_base_url
    error_message = "A poster's URL is S3_PUBLIC_BASE_URL + its key; the key already starts with the CloudFront path."
  }
}

run "connection_budget" {
  command = plan

  assert {
    condition     = local.db_connections_at_max + var.db_reserved_connections <= var.rds_max_connections
    error_message = "The environment's sizing does not fit RDS's max_connections."
  }

  assert {
    condition     = alltrue([for svc, s in local.ecs_services : s.environment.DB_POOL_SIZE == tostring(var.service_sizing[svc].db_pool)])
    error_message = "Each service's DB_POOL_SIZE must be the pool the budget counts."
  }
}

# 140 tasks with the services' default pool of 10 (the sizing before the budget): refused.
run "connection_budget_refuses_an_overcommit" {
  command = plan

  variables {
    rds_max_connections = 800
    service_sizing = {
      feed     = { cpu = 512, memory = 1024, min_count = 2, max_count = 20, db_pool = 10 }
      buffer   = { cpu = 512, memory = 1024, min_count = 2, max_count = 20, db_pool = 10 }
      queue    = { cpu = 1024, memory = 2048, min_count = 2, max_count = 60, db_pool = 10 }
      purchase = { cpu = 512, memory = 1024, min_count = 2, max_count = 30, db_pool = 10 }
      payment  = { cpu = 512, memory = 1024, min_count = 2, max_count = 10, db_pool = 10 }
    }
  }

  expect_failures = [terraform_data.db_connection_budget]
}

run "queue_scales_on_a_metric_it_emits" {
  command = plan

  assert {
    condition = module.ecs.connection_metrics.queue == {
      namespace  = local.ecs_services.queue.environment.CLOUDWATCH_METRICS_NAMESPACE
      name       = "WebSocketConnections"
      dimensions = { Service = local.ecs_services.queue.environment.CLOUDWATCH_METRICS_SERVICE }
    }
    error_message = "The queue's scaling metric ${jsonencode(module.ecs.connection_metrics)} is not what queue emits (CLOUDWATCH_METRICS_* ${jsonencode(local.ecs_services.queue.environment)})."
  }
}

# Issue 17.13: each service's task definition names its own database secret (its role ts_<svc>)
# and no other: not another service's, not the master user's.
# Issue 17.13: each service's task definition names its own database secret (its role ts_<svc>)
# and no other: not another service's, not the master user's, which only the bootstrap task names.
# A mocked plan leaves every ARN unknown (and the mocks cannot be applied), so the ARNs are tied to
# their services by name here and by reference in deployment/test/terraform.test.ts.
run "each_service_gets_only_its_own_database_secret" {
  command = plan

  assert {
    condition     = module.rds.service_database_secret_names == { for svc in keys(local.service_ports) : svc => "${local.name}/database/${svc}" }
    error_message = "Every service needs a database secret of its own: ${jsonencode(module.rds.service_database_secret_names)}"
  }

  assert {
    condition     = module.rds.service_roles == { for svc in keys(local.service_ports) : svc => "ts_${svc}" }
    error_message = "Database roles must be ts_<service> (libs/common service-roles.ts makes the same): ${jsonencode(module.rds.service_roles)}"
  }

  assert {
    condition     = alltrue([for svc, s in local.ecs_services : contains(keys(local.own_secrets[svc]), "DATABASE_URL") && contains(keys(s.secrets), "DATABASE_URL")])
    error_message = "Each service's DATABASE_URL must come from its own secrets (local.own_secrets)."
  }

  assert {
    condition     = !contains(keys(local.common_secrets), "DATABASE_URL")
    error_message = "DATABASE_URL is shared by every service (local.common_secrets); each must have its own."
  }

  assert {
    condition     = !anytrue(flatten([for svc, s in local.ecs_services : [for k in keys(s.secrets) : startswith(k, "DB_ROLE_PASSWORD_")]]))
    error_message = "A service's task definition names the roles' passwords, which only the bootstrap task may."
  }

  assert {
    condition     = tolist(keys(local.bootstrap_secrets)) == sort(concat(["DATABASE_URL", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"], [for svc in keys(local.service_ports) : "DB_ROLE_PASSWORD_${upper(svc)}"]))
    error_message = "The bootstrap task needs the master URL, every role's password and the Kafka ACL user's login: ${jsonencode(keys(local.bootstrap_secrets))}"
  }
}

# Issue 17.13: the bootstrap task (deployment/bootstrap.tf, run by deploy.sh before every roll)
# makes the database roles and the Kafka ACLs, logged in as MSK's ACL-making user, with an
# execution role of its own that alone reads that user's secret.
run "bootstrap_task_makes_roles_and_kafka_acls" {
  command = plan

  assert {
    condition     = jsonencode(local.bootstrap_command) == jsonencode(["node", "dist/main.js", "bootstrap"])
    error_message = "The bootstrap task runs the feed image's `bootstrap` (database roles, then Kafka ACLs)."
  }

  assert {
    condition = (local.bootstrap_secrets["KAFKA_SASL_USERNAME"] == "${module.msk.scram_secret_arn}:username::"
    && local.bootstrap_secrets["KAFKA_SASL_PASSWORD"] == "${module.msk.scram_secret_arn}:password::")
    error_message = "The bootstrap logs in to Kafka as the ACL-making user of module.msk (AmazonMSK_…_app): ${jsonencode(local.bootstrap_secrets)}"
  }

  assert {
    condition = (jsonencode(keys(local.bootstrap_environment)) == jsonencode(["KAFKA_BROKERS", "KAFKA_SASL_MECHANISM", "KAFKA_SSL", "KAFKA_TOPIC_PREFIX"])
      && local.bootstrap_environment["KAFKA_SSL"] == "true" && local.bootstrap_environment["KAFKA_SASL_MECHANISM"] == "scram-sha-512"
    && local.bootstrap_environment["KAFKA_TOPIC_PREFIX"] == "")
    error_message = "The bootstrap needs MSK's SCRAM brokers over TLS, no topic prefix."
  }

  assert {
    condition     = aws_iam_role.bootstrap_execution.name == "${local.name}-bootstrap-execution"
    error_message = "The bootstrap task has an execution role of its own, not the services'."
  }

  assert {
    condition     = contains(tolist(data.aws_iam_policy_document.bootstrap_secrets.statement[1].resources), module.msk.kms_key_arn)
    error_message = "The bootstrap's execution role must decrypt the Kafka ACL user's secret (MSK's key)."
  }
}

run "edge" {
  command = plan

  assert {
    condition     = module.cloudfront.web_acl_id == module.waf.web_acl_arn && module.waf.web_acl_arn != ""
    error_message = "CloudFront must be associated with the WAF web ACL: ${module.cloudfront.web_acl_id}"
  }

  assert {
    condition     = module.waf.scope == "CLOUDFRONT"
    error_message = "A web ACL for CloudFront has CLOUDFRONT scope (and lives in us-east-1)."
  }

  assert {
    condition     = alltrue([for g in ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesAmazonIpReputationList", "rate-per-client"] : contains(keys(module.waf.rules), g)])
    error_message = "The web ACL needs AWS's common rules, the IP reputation list and a per-client rate rule: ${jsonencode(module.waf.rules)}"
  }

  assert {
    condition     = module.waf.rate_limit.aggregate_key_type == "IP" && module.waf.rate_limit.limit == var.waf_rate_limit_per_5_minutes
    error_message = "The rate rule counts per client address: ${jsonencode(module.waf.rate_limit)}"
  }

  assert {
    condition     = contains(keys(module.waf.rules), "AWSManagedRulesBotControlRuleSet") == var.waf_bot_control
    error_message = "Bot Control is there exactly when waf_bot_control is on."
  }

  assert {
    condition     = module.cloudfront.alb_origin_headers == [var.origin_secret_header]
    error_message = "CloudFront must send the origin secret header (var.origin_secret_header) to the ALB."
  }

  # The services take the client address from CloudFront-Viewer-Address: CloudFront sends it
  # only when the origin request policy names it (modules/cloudfront, the doc cited there).
  assert {
    condition = (
      module.cloudfront.alb_origin_request.target_origin_id == "alb" &&
      module.cloudfront.alb_origin_request.policy_id == module.cloudfront.alb_origin_request.own_policy_id &&
      contains(["allViewerAndWhitelistCloudFront", "whitelist"], module.cloudfront.alb_origin_request.header_behavior) &&
      contains(module.cloudfront.alb_origin_request.headers, "CloudFront-Viewer-Address")
    )
    error_message = "Requests to the ALB must carry CloudFront-Viewer-Address: ${jsonencode(module.cloudfront.alb_origin_request)}"
  }

  assert {
    condition = (
      module.cloudfront.alb_origin_request.header_behavior == "allViewerAndWhitelistCloudFront" &&
      module.cloudfront.alb_origin_request.cookie_behavior == "all" && module.cloudfront.alb_origin_request.query_behavior == "all"
    )
    error_message = "Pages, APIs and WebSockets need every viewer header (Content-Type, Origin, Stripe-Signature, Sec-WebSocket-*), cookie and query string: ${jsonencode(module.cloudfront.alb_origin_request)}"
  }

  assert {
    condition     = module.elb.default_action == { type = "fixed-response", status = "403" }
    error_message = "A request without the origin secret must get the listener's fixed 403: ${jsonencode(module.elb.default_action)}"
  }

  # Every rule that forwards or redirects requires the header with CloudFront's value.
  assert {
    condition = alltrue([for k, r in module.elb.listener_rules :
      length(r.headers) == 1 && try(r.headers[var.origin_secret_header], []) == tolist([local.origin_secret]) if r.action != "fixed-response"
    ])
    error_message = "A listener rule forwards without requiring the origin secret header."
  }

  assert {
    condition = alltrue([for svc in keys(local.service_ports) :
      contains(keys(module.elb.listener_rules), "forward-${svc}")
    ])
    error_message = "Every service has its forward rule."
  }

  # The services read the same header name and secret (libs/common ORIGIN_SECRET_HEADER, ORIGIN_SECRETS).
  assert {
    condition = alltrue([for svc, s in local.ecs_services :
      s.environment.ORIGIN_SECRET_HEADER == var.origin_secret_header && s.secrets.ORIGIN_SECRETS == aws_secretsmanager_secret.origin.arn
    ])
    error_message = "Every service must get ORIGIN_SECRET_HEADER and ORIGIN_SECRETS (the secret CloudFront sends)."
  }
}

run "access_logs" {
  command = plan

  assert {
    condition     = module.elb.access_logs == { bucket = module.access_logs.bucket, prefix = module.access_logs.alb_prefix, enabled = true }
    error_message = "The ALB must write access logs to the log bucket: ${jsonencode(module.elb.access_logs)}"
  }

  assert {
    condition     = module.cloudfront.logging == [{ bucket = module.access_logs.bucket_domain_name, prefix = module.access_logs.cloudfront_prefix }]
    error_message = "CloudFront must write access logs to the log bucket: ${jsonencode(module.cloudfront.logging)}"
  }

  assert {
    condition = (
      module.access_logs.posture.expire_days == var.access_logs_expire_days &&
      module.access_logs.posture.object_ownership == "BucketOwnerPreferred" &&
      module.access_logs.posture.block_public && module.access_logs.posture.sse == "AES256"
    )
    error_message = "The log bucket expires logs, keeps ACLs for CloudFront's delivery, blocks public access, and uses SSE-S3 (what both writers support): ${jsonencode(module.access_logs.posture)}"
  }
}

run "alarms" {
  command = plan

  assert {
    condition = alltrue([for k, a in module.alarms.alarms :
      a.alarm_actions == toset([module.alarms.topic_arn]) && a.ok_actions == toset([module.alarms.topic_arn])
    ])
    error_message = "Every alarm must notify the SNS topic on ALARM and OK: ${jsonencode({ for k, a in module.alarms.alarms : k => a.alarm_actions })}"
  }

  assert {
    condition = alltrue(flatten([
      [for svc in keys(local.service_ports) : [for what in ["target-5xx", "target-latency-p95", "dead-letters"] : contains(keys(module.alarms.alarms), "${svc}-${what}")]],
      [for k in ["alb-elb-5xx", "rds-cpu", "rds-connections", "rds-free-storage", "kafka-consumer-lag", "dead-letters-waiting"] : contains(keys(module.alarms.alarms), k)],
      [for id in module.msk.broker_ids : contains(keys(module.alarms.alarms), "msk-disk-broker-${id}")],
    ]))
    error_message = "Missing alarms; there are: ${jsonencode(keys(module.alarms.alarms))}"
  }

  # The dead-letter alarms count the lines the code writes, in each service's own log group.
  assert {
    condition     = sort(var.dlq_log_messages) == tolist(var.facts.dlq_log_messages)
    error_message = "dlq_log_messages ${jsonencode(var.dlq_log_messages)} is not what libs/common logs: ${jsonencode(var.facts.dlq_log_messages)}"
  }

  assert {
    condition = alltrue([for svc, f in module.alarms.dead_letter_filters :
      f.log_group == module.ecs.log_group_names[svc] && alltrue([for m in var.facts.dlq_log_messages : strcontains(f.pattern, "$.msg = \"${m}\"")]) &&
      f.dimensions.Service == "$.service" && module.alarms.alarms["${svc}-dead-letters"].dimensions.Service == svc &&
      module.alarms.alarms["${svc}-dead-letters"].metric == f.metric
    ])
    error_message = "Dead-letter metric filters and alarms disagree with the log lines: ${jsonencode(module.alarms.dead_letter_filters)}"
  }

  assert {
    condition     = strcontains(module.alarms.alarms["kafka-consumer-lag"].metric, "'${module.msk.cluster_name}'")
    error_message = "The consumer lag alarm must query this cluster."
  }
}

# The services' Prometheus /metrics (admin port only) are read in AWS: a CloudWatch agent in
# every task scrapes them and turns the declared series into CloudWatch metrics, among them the
# dead-letter depth the alarm watches.
run "metrics_collected" {
  command = plan

  assert {
    condition = alltrue([for svc, m in module.ecs.metrics_agent :
      m.containers == [svc, "cloudwatch-agent"] && m.essential == false && m.role_policy
    ])
    error_message = "Every task needs the metrics agent beside the service (not essential), with a role that may write its log group: ${jsonencode({ for k, m in module.ecs.metrics_agent : k => [m.containers, m.essential, m.role_policy] })}"
  }

  assert {
    condition = alltrue([for svc, m in module.ecs.metrics_agent :
      length(m.scrape) == 1 && m.scrape[0].metrics_path == "/${svc}/metrics" &&
      m.scrape[0].static_configs[0].targets == ["127.0.0.1:${local.ecs_services[svc].environment.ADMIN_PORT}"] &&
      m.scrape[0].static_configs[0].labels == { ClusterName = module.ecs.cluster_name, Service = svc }
    ])
    error_message = "The agent must scrape the service's own admin port and path: ${jsonencode({ for k, m in module.ecs.metrics_agent : k => m.scrape })}"
  }

  # What the agent turns into metrics exists on /metrics (a renamed metric fails here, not in AWS).
  assert {
    condition = alltrue(flatten([for svc, m in module.ecs.metrics_agent : [for d in m.prometheus.emf_processor.metric_declaration : [
      for sel in d.metric_selectors : anytrue([for n in var.facts.prometheus_metrics : can(regex(sel, n))])
    ]]]))
    error_message = "A metric_selector names nothing the services expose: ${jsonencode(var.facts.prometheus_metrics)}"
  }

  assert {
    condition = alltrue([for svc, m in module.ecs.metrics_agent :
      m.prometheus.log_group_name == m.log_group && m.prometheus.emf_processor.metric_namespace == module.ecs.prometheus_namespace &&
      anytrue([for d in m.prometheus.emf_processor.metric_declaration :
        contains(d.metric_selectors, "^${var.facts.dead_letters_metric}$") && d.dimensions == [["ClusterName", "topic"]]
      ])
    ])
    error_message = "The dead-letter gauge must become a metric by ClusterName and topic in the agent's namespace."
  }

  # The depth alarm reads that metric, of this cluster.
  assert {
    condition = (
      module.alarms.alarms["dead-letters-waiting"].namespace == module.ecs.prometheus_namespace &&
      strcontains(module.alarms.alarms["dead-letters-waiting"].metric, "MAX(${var.facts.dead_letters_metric})") &&
      strcontains(module.alarms.alarms["dead-letters-waiting"].metric, "SCHEMA(\"${module.ecs.prometheus_namespace}\", ClusterName, topic)") &&
      strcontains(module.alarms.alarms["dead-letters-waiting"].metric, "ClusterName = '${module.ecs.cluster_name}'")
    )
    error_message = "The dead-letter depth alarm must query the agent's metric for this cluster: ${module.alarms.alarms["dead-letters-waiting"].metric}"
  }
}

run "endpoints" {
  command = plan

  assert {
    condition     = toset(keys(module.network.interface_endpoints)) == toset(["ecr.api", "ecr.dkr", "logs", "secretsmanager", "sts"])
    error_message = "Interface endpoints: ${jsonencode(keys(module.network.interface_endpoints))}"
  }

  assert {
    condition = alltrue([for k, e in module.network.interface_endpoints :
      e.private_dns_enabled && e.security_group_ids == toset(["sg-endpoints"])
    ])
    error_message = "Each interface endpoint: private DNS (the SDKs' default hostnames resolve to it), behind the endpoints group. (Subnets and route tables are unknown in a mocked plan: deployment/test/terraform.test.ts reads them from the source.)"
  }

  assert {
    condition = alltrue([for r in module.network.ingress_rules :
      r.source_group == "services" && r.from_port == 443 && r.to_port == 443 if r.security_group == "endpoints"
    ])
    error_message = "The endpoints take HTTPS from the services only."
  }
}

run "fairness" {
  command = plan

  assert {
    condition = (
      local.ecs_services.buffer.environment.FAIRNESS_PUBLIC_BASE_URL == local.public_base_url &&
      module.cloudfront.fairness_path_pattern == "/${var.facts.fairness_key_prefix}*" &&
      module.cloudfront.fairness_origin_bucket == module.s3.fairness_bucket_regional_domain_name
    )
    error_message = "buffer redirects fairness documents to ${local.ecs_services.buffer.environment.FAIRNESS_PUBLIC_BASE_URL}/${var.facts.fairness_key_prefix}…: CloudFront must serve ${module.cloudfront.fairness_path_pattern} from the fairness bucket (${module.cloudfront.fairness_origin_bucket})."
  }

  assert {
    condition     = local.ecs_services.buffer.environment.S3_BUCKET_FAIRNESS == module.s3.fairness_bucket && local.ecs_services.buffer.environment.S3_REGION == var.region
    error_message = "buffer must be told the fairness bucket and its region."
  }

  assert {
    condition = (
      module.s3.fairness_posture.versioning == "Enabled" && module.s3.fairness_posture.block_public &&
      module.s3.fairness_posture.sse == "AES256"
    )
    error_message = "The fairness bucket is private, versioned and encrypted: ${jsonencode(module.s3.fairness_posture)}"
  }

  assert {
    condition     = jsondecode(local.task_policies.buffer).Statement[0].Resource == "${module.s3.fairness_bucket_arn}/${var.facts.fairness_key_prefix}*" && toset(jsondecode(local.task_policies.buffer).Statement[0].Action) == toset(["s3:PutObject", "s3:GetObject"])
    error_message = "buffer's task role may put and get exactly under the prefix the code writes (${var.facts.fairness_key_prefix}): ${local.task_policies.buffer}"
  }

  assert {
    condition = alltrue([for svc, p in local.task_policies :
      !strcontains(p, module.s3.fairness_bucket_arn) if svc != "buffer"
    ])
    error_message = "Only buffer may touch the fairness bucket."
  }

  assert {
    condition     = local.ecs_services.buffer.environment.BEACON_URL == var.facts.beacon.url && local.ecs_services.buffer.environment.BEACON_CHAIN_HASH == var.facts.beacon.chain_hash
    error_message = "buffer's beacon must be drand quicknet (${var.facts.beacon.url}), pinned to its chain hash ${var.facts.beacon.chain_hash}."
  }
}

run "waf_bot_control_on" {
  command = plan

  variables {
    waf_bot_control = true
  }

  assert {
    condition     = module.waf.rules["AWSManagedRulesBotControlRuleSet"] > module.waf.rules["rate-per-client"]
    error_message = "With waf_bot_control, Bot Control is in the web ACL, after the rate rule: ${jsonencode(module.waf.rules)}"
  }
}

# Issue 17.12: the operations endpoints are not public. The services serve them on ADMIN_PORT
# only (libs/common test/admin-port.test.ts); the ALB answers 404 for them itself, ahead of the
# service's forward rule, and nothing routes or admits traffic to the admin port.
run "ops_endpoints_not_public" {
  command = plan

  assert {
    condition = alltrue([for svc in keys(local.service_ports) :
      module.elb.listener_rules["ops-${svc}"].action == "fixed-response" &&
      module.elb.listener_rules["ops-${svc}"].status == "404" &&
      module.elb.listener_rules["ops-${svc}"].priority < module.elb.listener_rules["forward-${svc}"].priority &&
      alltrue([for p in ["metrics", "readyz"] : contains(module.elb.listener_rules["ops-${svc}"].paths, "/${svc}/${p}") && contains(module.elb.listener_rules["ops-${svc}"].paths, "/${svc}/${p}/*")])
    ])
    error_message = "The ALB must answer /<svc>/metrics and /<svc>/readyz with a fixed 404 before forwarding to the service."
  }

  assert {
    condition = alltrue([for svc, s in local.ecs_services :
      s.environment.ADMIN_PORT == tostring(var.admin_port) && tonumber(s.environment.ADMIN_PORT) != s.port
    ])
    error_message = "Every service must serve its operations endpoints on ADMIN_PORT (${var.admin_port}), not on its public port."
  }

  assert {
    condition = alltrue([for r in module.network.ingress_rules :
      var.admin_port < r.from_port || var.admin_port > r.to_port if r.security_group == "services"
    ])
    error_message = "No security group rule may admit traffic to the services' admin port ${var.admin_port}."
  }
}

# Issue 17.13: each service logs in to MSK as the SCRAM user of its name, whose password is in
# its own AmazonMSK_ secret; the operators' user is in no task definition.
run "each_service_gets_only_its_own_kafka_user" {
  command = plan

  assert {
    condition     = module.msk.service_scram_secret_names == { for svc in keys(local.service_ports) : svc => "AmazonMSK_${local.name}_${svc}" }
    error_message = "Every service needs a SCRAM secret of its own, named AmazonMSK_…: ${jsonencode(module.msk.service_scram_secret_names)}"
  }

  assert {
    condition     = alltrue([for svc, s in local.ecs_services : s.environment["KAFKA_SASL_USERNAME"] == svc && contains(keys(local.own_secrets[svc]), "KAFKA_SASL_PASSWORD")])
    error_message = "Each service must log in to Kafka as itself: ${jsonencode({ for svc, s in local.ecs_services : svc => s.environment["KAFKA_SASL_USERNAME"] })}"
  }

  assert {
    condition     = !contains(keys(local.common_secrets), "KAFKA_SASL_PASSWORD") && !contains(keys(local.common_environment), "KAFKA_SASL_USERNAME")
    error_message = "The Kafka login is shared by every service (common_secrets / common_environment)."
  }
}

# Issue 17.13: one execution role per service, its secrets policy built from its own task
# definition's secrets only (which each_service_gets_only_its_own_* hold to that service's own):
# feed's role cannot fetch purchase's database password. (The secrets' ARNs are unknown in a
# mocked plan, so the policy's resources themselves are not compared here.)
run "each_service_has_its_own_execution_role" {
  command = plan

  assert {
    condition     = { for svc, r in module.ecs.execution_roles : svc => r.name } == { for svc in keys(local.service_ports) : svc => "${local.name}-${svc}-execution" }
    error_message = "Every service needs an execution role of its own: ${jsonencode(module.ecs.execution_roles)}"
  }

  assert {
    condition     = alltrue([for svc, r in module.ecs.execution_roles : jsonencode(r.secret_keys) == jsonencode(sort(keys(local.ecs_services[svc].secrets)))])
    error_message = "Each service's execution role is built from its own task definition's secrets: ${jsonencode(module.ecs.execution_roles)}"
  }
}

# Issue 18.5: the API Gateway layer is off by default, and planned both ways.
run "api_gateway_off_by_default" {
  command = plan

  assert {
    condition     = length(module.api_gateway) == 0
    error_message = "API Gateway must be off unless api_gateway_enabled."
  }
}

run "api_gateway_on" {
  command = plan

  variables {
    api_gateway_enabled = true
  }

  assert {
    condition     = toset(module.api_gateway[0].route_keys) == toset([for svc in keys(local.service_ports) : "ANY /${svc}/api/{proxy+}"])
    error_message = "The HTTP API routes each service's JSON API and nothing else (no pages, no WebSockets): ${jsonencode(module.api_gateway[0].route_keys)}"
  }

  assert {
    condition = alltrue([for svc, t in var.api_gateway_throttles :
      module.api_gateway[0].routes["ANY /${svc}/api/{proxy+}"] == { rate = t.rate, burst = t.burst }
    ])
    error_message = "Every route has its own throttle: ${jsonencode(module.api_gateway[0].routes)}"
  }

  assert {
    condition     = module.api_gateway[0].access_logging
    error_message = "The stage logs every request to CloudWatch."
  }

  assert {
    condition = alltrue([for svc, i in module.api_gateway[0].integrations :
      i.connection_type == "VPC_LINK" &&
      i.request_parameters["overwrite:header.${var.origin_secret_header}"] == local.origin_secret &&
      i.request_parameters["overwrite:header.CloudFront-Viewer-Address"] == "$context.identity.sourceIp:0"
    ])
    error_message = "Each integration reaches the ALB listener through the VPC link with the origin secret and the caller's address."
  }

  assert {
    condition = anytrue([for r in module.network.ingress_rules :
      r.security_group == "alb" && r.source_group == "api_gateway_link" && r.from_port == 443
    ])
    error_message = "The ALB must admit the VPC link on 443."
  }
}
