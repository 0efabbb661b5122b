"""One name for one idea: an embedding space (was "generation", and "model_name" on the
rows that belong to one). Renames only; no data changes."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0006_pair_calibrated_rate"),
    ]

    operations = [
        migrations.RenameModel(old_name="EmbeddingGeneration", new_name="EmbeddingSpace"),
        migrations.RenameField(model_name="embeddingspace", old_name="space", new_name="name"),
        migrations.RenameField(model_name="embedding", old_name="model_name", new_name="space"),
        migrations.RenameField(model_name="candidate", old_name="model_name", new_name="space"),
        # Rebuilt rather than renamed: Django's state keeps an index's old field names.
        migrations.RemoveIndex(model_name="embedding", name="matching_em_model_n_8b6da0_idx"),
        migrations.AddIndex(
            model_name="embedding",
            index=models.Index(fields=["space", "side"], name="embedding_space_side"),
        ),
        migrations.RemoveConstraint(model_name="embedding", name="one_embedding_per_model"),
        migrations.AddConstraint(
            model_name="embedding",
            constraint=models.UniqueConstraint(
                fields=("face", "space"), name="one_embedding_per_space"
            ),
        ),
    ]
