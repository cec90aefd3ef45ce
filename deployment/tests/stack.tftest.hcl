# Plans the whole stack offline with a mocked AWS provider and checks what the stack exposes
# and promises. deployment/test/terraform-cli.test.ts runs it once per environment, with that
# environment's tfvars and `facts` read from the code (.local/terraform/code-facts.tfvars.json):
#   facts.required_env      service => variables its config schema requires in production
#   facts.poster_key_prefix the key prefix feed writes posters under
#   facts.sg_rule_quota     rules per security group and direction (AWS default 60)

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
    condition     = alltrue([for svc, s in local.ecs_services : keys(local.own_secrets[svc]) == ["DATABASE_URL"] && contains(keys(s.secrets), "DATABASE_URL")])
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
    condition     = keys(local.db_roles_secrets) == concat(["DATABASE_URL"], sort([for svc in keys(local.service_ports) : "DB_ROLE_PASSWORD_${upper(svc)}"]))
    error_message = "The bootstrap task needs the master URL and every role's password: ${jsonencode(keys(local.db_roles_secrets))}"
  }
}
