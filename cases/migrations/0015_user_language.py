from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0014_organisation_field_capture"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="language",
            field=models.CharField(blank=True, default="", max_length=16),
        ),
    ]
