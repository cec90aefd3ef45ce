environment                = "staging"
aws_account_id             = "111111111111"
region                     = "eu-central-1"
domain_name                = "staging.tickets.example.org"
alb_origin_domain_name     = "origin.staging.tickets.example.org"
alb_certificate_arn        = "arn:aws:acm:eu-central-1:111111111111:certificate/replace-me-staging-alb"
cloudfront_certificate_arn = "arn:aws:acm:us-east-1:111111111111:certificate/replace-me-staging-cf"
mail_from                  = "TicketSlave Staging <no-reply@staging.tickets.example.org>"
google_client_id           = "replace-me.apps.googleusercontent.com"

# Images are pushed once to staging's registry, which replicates them to production's.
ecr_replicate_to_account_ids = ["222222222222"]

# Cheaper than production, still the same shape (three AZs for MSK).
single_nat_gateway        = true
rds_instance_class        = "db.t4g.medium"
rds_max_connections       = 400
rds_multi_az              = false
rds_backup_retention_days = 7
msk_broker_instance_type  = "kafka.t3.small"
msk_broker_volume_gb      = 20
deletion_protection       = false
log_retention_days        = 14

service_sizing = {
  feed     = { cpu = 256, memory = 512, min_count = 1, max_count = 4, db_pool = 5 }
  buffer   = { cpu = 256, memory = 512, min_count = 1, max_count = 4, db_pool = 5 }
  queue    = { cpu = 512, memory = 1024, min_count = 1, max_count = 6, db_pool = 5 }
  purchase = { cpu = 256, memory = 512, min_count = 1, max_count = 4, db_pool = 5 }
  payment  = { cpu = 256, memory = 512, min_count = 1, max_count = 2, db_pool = 5 }
}
