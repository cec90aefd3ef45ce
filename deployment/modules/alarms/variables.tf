variable "name" {
  type = string
}

variable "alarm_emails" {
  description = "Addresses subscribed to the alarm topic (each confirms by e-mail); other subscribers are added outside Terraform"
  type        = list(string)
  default     = []
}

variable "metrics_namespace" {
  type    = string
  default = "TicketSlave"
}

variable "alb_arn_suffix" {
  type = string
}

variable "target_group_arn_suffixes" {
  description = "service => its target group's ARN suffix"
  type        = map(string)
}

variable "service_log_groups" {
  description = "service => its log group"
  type        = map(string)
}

variable "dlq_log_messages" {
  description = "The `msg` of the log lines a service writes when it sends a message to a dead-letter topic"
  type        = list(string)
}

variable "rds_instance_id" {
  type = string
}

variable "rds_max_connections" {
  type = number
}

variable "rds_allocated_storage_gb" {
  type = number
}

variable "msk_cluster_name" {
  type = string
}

variable "msk_broker_ids" {
  type = list(string)
}

variable "alb_5xx_per_5_minutes" {
  type    = number
  default = 25
}

variable "target_latency_p95_seconds" {
  type    = number
  default = 1
}

variable "consumer_lag_seconds" {
  description = "A purchase or payment waiting this long on Kafka is a fan staring at a spinner"
  type        = number
  default     = 60
}

variable "rds_cpu_percent" {
  type    = number
  default = 80
}

variable "rds_connections_fraction" {
  type    = number
  default = 0.9
}

variable "rds_free_storage_fraction" {
  type    = number
  default = 0.1
}

variable "msk_disk_used_percent" {
  type    = number
  default = 75
}

variable "cluster_name" {
  description = "The ECS cluster: the ClusterName dimension the metrics agent gives the services' metrics"
  type        = string
}

variable "prometheus_namespace" {
  description = "Namespace of the metrics extracted from the services' /metrics (modules/ecs metrics.tf)"
  type        = string
}

variable "dead_letters_metric" {
  description = "The gauge of dead letters waiting per <topic>.dlq (libs/common DEAD_LETTER_GAUGE)"
  type        = string
  default     = "ts_kafka_dead_letters_waiting"
}

variable "dead_letters_waiting_minutes" {
  description = "How long a dead letter may wait for an operator before the alarm"
  type        = number
  default     = 30
}
