"""Language tools: spaCy pipelines (loaded once per process), language detection, the actor gazetteer."""
