# The five services: ports, routing priorities, plain configuration and secret references.
# Plain `environment` holds nothing secret; every secret is a Secrets Manager reference.
locals {
  name            = "ticketslave-${var.environment}"
  public_base_url = "https://${var.domain_name}"

  service_ports   = { feed = 8081, buffer = 8082, queue = 8083, purchase = 8084, payment = 8085 }
  rule_priorities = { feed = 10, buffer = 20, queue = 30, purchase = 40, payment = 50 }

  # Where the Dockerfile puts the Amazon RDS CA bundle (DATABASE_URL's sslrootcert).
  rds_ca_bundle_path = "/app/certs/rds-global-bundle.pem"

  common_environment = {
    NODE_ENV             = "production"
    HOST                 = "0.0.0.0"
    LOG_LEVEL            = var.log_level
    KAFKA_BROKERS        = module.msk.bootstrap_brokers_sasl_scram
    KAFKA_SSL            = "true"
    KAFKA_SASL_MECHANISM = "scram-sha-512"
    KAFKA_TOPIC_PREFIX   = ""
    PUBLIC_BASE_URL      = local.public_base_url
    FEED_JWKS_URL        = "http://feed:8081/feed/.well-known/jwks.json"
    # index.html points at the assets published to S3 behind CloudFront (same origin).
    ASSET_BASE_URL = local.public_base_url
    FRONTEND_DIR   = "/app/frontend"
    COOKIE_SECURE  = "true"
    # CloudFront adds this header (edge.tf); a request carrying one of ORIGIN_SECRETS came
    # through it, so its CloudFront-Viewer-Address names the client (per-client rate limits).
    ORIGIN_SECRET_HEADER = var.origin_secret_header
    # /<svc>/metrics and /<svc>/readyz are served on this port only: no target group, port
    # mapping or security group rule reaches it (the public port answers 404 for them).
    ADMIN_PORT = tostring(var.admin_port)
  }

  common_secrets = {
    ORIGIN_SECRETS = aws_secretsmanager_secret.origin.arn
  }

  # Each service's own credentials, named by its task definition and no other (issue 17.13):
  # DATABASE_URL logs in as its role ts_<service>, owner of its schema only; Kafka as the SCRAM
  # user of its name (KAFKA_SASL_USERNAME), whose ACLs allow only its topics.
  own_secrets = {
    for svc in keys(local.service_ports) : svc => {
      DATABASE_URL        = "${module.rds.service_database_secret_arns[svc]}:url::"
      KAFKA_SASL_PASSWORD = "${module.msk.service_scram_secret_arns[svc]}:password::"
    }
  }

  service_environment = {
    feed = {
      MAIL_FROM        = var.mail_from
      S3_REGION        = var.region
      S3_BUCKET_IMAGES = module.s3.images_bucket
      # A poster's URL is this base + its key (images/posters/…), served by CloudFront's /images/*.
      S3_PUBLIC_BASE_URL  = local.public_base_url
      GOOGLE_CLIENT_ID    = var.google_client_id
      GOOGLE_AUTH_URL     = "https://accounts.google.com/o/oauth2/v2/auth"
      GOOGLE_TOKEN_URL    = "https://oauth2.googleapis.com/token"
      GOOGLE_USERINFO_URL = "https://openidconnect.googleapis.com/v1/userinfo"
    }
    buffer = {
      BEACON_URL        = var.beacon_url
      BEACON_CHAIN_HASH = var.beacon_chain_hash
      # Fairness documents (FAIRNESS_KEY_PREFIX in data/s3-fairness-store.ts).
      S3_BUCKET_FAIRNESS = module.s3.fairness_bucket
      # …served from there: CloudFront's /fairness/* behaviour; the fairness route redirects to it.
      FAIRNESS_PUBLIC_BASE_URL = local.public_base_url
      S3_REGION                = var.region
    }
    queue = {
      BUFFER_JWKS_URL = "http://buffer:8082/buffer/.well-known/jwks.json"
      # WebSocketConnections as EMF log lines: the metric the queue's autoscaling tracks.
      CLOUDWATCH_METRICS_SERVICE   = "${local.name}-queue"
      CLOUDWATCH_METRICS_NAMESPACE = "TicketSlave"
    }
    purchase = {
      QUEUE_JWKS_URL = "http://queue:8083/queue/.well-known/jwks.json"
      MAIL_FROM      = var.mail_from
    }
    payment = {
      MAIL_FROM = var.mail_from
    }
  }

  # Keys of each service's secret in Secrets Manager (values are put by the operator).
  # WALLET_PASS_SIGNING: the Apple Wallet pass certificate as JSON, or "" for no passes.
  app_secret_keys = {
    feed     = ["SESSION_SIGNING_JWKS", "SMTP_URL", "GOOGLE_CLIENT_SECRET", "POW_HMAC_KEY"]
    buffer   = ["BUFFER_SIGNING_JWKS", "POW_HMAC_KEY"]
    queue    = ["QUEUE_SIGNING_JWKS"]
    purchase = ["TICKET_SIGNING_JWKS", "SMTP_URL", "WALLET_PASS_SIGNING"]
    payment  = ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "SMTP_URL"]
  }

  # Key prefixes the code writes (feed: POSTER_KEY_PREFIX in adapters/poster-store.ts; buffer:
  # FAIRNESS_KEY_PREFIX in data/s3-fairness-store.ts).
  poster_key_prefix   = "images/posters/"
  fairness_key_prefix = "fairness/"

  task_policies = {
    feed = jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]
        Resource = "${module.s3.images_bucket_arn}/${local.poster_key_prefix}*"
      }]
    })
    # Write and read back its documents; never delete one (the bucket keeps every version).
    # ListBucket under the prefix makes a document not yet built a 404 (NoSuchKey), not a 403.
    buffer = jsonencode({
      Version = "2012-10-17"
      Statement = [
        {
          Effect   = "Allow"
          Action   = ["s3:PutObject", "s3:GetObject"]
          Resource = "${module.s3.fairness_bucket_arn}/${local.fairness_key_prefix}*"
        },
        {
          Effect    = "Allow"
          Action    = ["s3:ListBucket"]
          Resource  = module.s3.fairness_bucket_arn
          Condition = { StringLike = { "s3:prefix" = ["${local.fairness_key_prefix}*"] } }
        },
      ]
    })
  }

  ecs_services = {
    for svc, port in local.service_ports : svc => {
      port                 = port
      cpu                  = var.service_sizing[svc].cpu
      memory               = var.service_sizing[svc].memory
      min_count            = var.service_sizing[svc].min_count
      max_count            = var.service_sizing[svc].max_count
      cpu_target_percent   = var.cpu_target_percent
      requests_per_target  = var.requests_per_target
      connections_per_task = svc == "queue" ? var.queue_connections_per_task : null
      environment = merge(local.common_environment, local.service_environment[svc], {
        PORT                = tostring(port)
        KAFKA_SASL_USERNAME = svc
        DB_SCHEMA           = svc
        DB_POOL_SIZE        = tostring(var.service_sizing[svc].db_pool)
      })
      secrets = merge(local.common_secrets, local.own_secrets[svc], {
        for key in local.app_secret_keys[svc] : key => "${aws_secretsmanager_secret.app[svc].arn}:${key}::"
      })
      task_policy_json = lookup(local.task_policies, svc, null)
    }
  }
}

# The database connection budget: every service at its max_count, each task with its pool and
# the connections it opens outside it, plus a reserve, must fit in RDS's max_connections (set
# explicitly in the parameter group, so the number is the one planned). 140 tasks with the
# default pool of 10 would need 1,400 against ~800 on a db.m7g.large: the plan stops here.
locals {
  db_connections_at_max = sum([for svc, s in var.service_sizing : s.max_count * (s.db_pool + var.db_connections_per_task_outside_pool)])
}

resource "terraform_data" "db_connection_budget" {
  input = local.db_connections_at_max
  lifecycle {
    precondition {
      condition     = local.db_connections_at_max + var.db_reserved_connections <= var.rds_max_connections
      error_message = "Database connections at max_count: ${local.db_connections_at_max} + ${var.db_reserved_connections} reserved > rds_max_connections ${var.rds_max_connections}. Lower db_pool or max_count, or raise the RDS class and rds_max_connections."
    }
  }
}
