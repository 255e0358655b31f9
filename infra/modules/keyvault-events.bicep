// Key Vault SecretNearExpiry / SecretExpired events → the rotation webhook (a safety net beside the schedule).
param location string
param tags object
param keyVaultName string
param functionAppName string
@description('Only events of these secrets are delivered (the subject of a Key Vault event is the secret name).')
param secretNames array

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = { name: keyVaultName }
resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = { name: functionAppName }

resource topic 'Microsoft.EventGrid/systemTopics@2023-12-15-preview' = {
  name: 'egst-${keyVaultName}'
  location: location
  tags: tags
  properties: { source: vault.id, topicType: 'Microsoft.KeyVault.vaults' }
}

resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2023-12-15-preview' = {
  parent: topic
  name: 'gateway-guard-rotate'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${functionApp.properties.defaultHostName}/api/rotations?code=${listKeys('${functionApp.id}/host/default', '2023-12-01').functionKeys.default}'
      }
    }
    filter: {
      includedEventTypes: ['Microsoft.KeyVault.SecretNearExpiry', 'Microsoft.KeyVault.SecretExpired']
      advancedFilters: empty(secretNames) ? [] : [{ operatorType: 'StringIn', key: 'subject', values: secretNames }]
    }
    retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 }
  }
}
