environment                = "staging"
region                     = "eu-central-1"
domain_name                = "staging.tickets.example.org"
alb_origin_domain_name     = "origin.staging.tickets.example.org"
alb_certificate_arn        = "arn:aws:acm:eu-central-1:111111111111:certificate/replace-me-staging-alb"
cloudfront_certificate_arn = "arn:aws:acm:us-east-1:111111111111:certificate/replace-me-staging-cf"
mail_from                  = "TicketSlave Staging <no-reply@staging.tickets.example.org>"
google_client_id           = "replace-me.apps.googleusercontent.com"

# Cheaper than production, still the same shape (three AZs for MSK).
single_nat_gateway        = true
rds_instance_class        = "db.t4g.medium"
rds_multi_az              = false
rds_backup_retention_days = 7
msk_broker_instance_type  = "kafka.t3.small"
msk_broker_volume_gb      = 20
deletion_protection       = false
log_retention_days        = 14

service_sizing = {
  feed     = { cpu = 256, memory = 512, min_count = 1, max_count = 4 }
  buffer   = { cpu = 256, memory = 512, min_count = 1, max_count = 4 }
  queue    = { cpu = 512, memory = 1024, min_count = 1, max_count = 6 }
  purchase = { cpu = 256, memory = 512, min_count = 1, max_count = 4 }
  payment  = { cpu = 256, memory = 512, min_count = 1, max_count = 2 }
}
