output "topic_names" {
  value = sort([for t in kafka_topic.this : t.name])
}
