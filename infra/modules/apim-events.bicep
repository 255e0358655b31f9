// API Management's own self-hosted gateway token events → the rotation webhook, from a system topic on
// one API Management instance: GatewayTokenNearExpiry and GatewayTokenExpired. They come from the
// service that issues the tokens, so they fire only when a gateway's token really runs short, a safety
// net beside the schedule. (Key Vault's SecretNearExpiry fires 30 days before a secret expires, which for
// a token of at most 30 days is right after each rotation: no signal. See docs/operations.md.)
// Deployed into the API Management instance's resource group. Event Grid allows one system topic per
// source: an instance that already has one cannot take a second (the deployment says so).
param apimServiceName string
param tags object
param functionAppSubscriptionId string
param functionAppResourceGroupName string
param functionAppName string

resource apim 'Microsoft.ApiManagement/service@2024-05-01' existing = { name: apimServiceName }
resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
  scope: resourceGroup(functionAppSubscriptionId, functionAppResourceGroupName)
}

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: 'egst-${apimServiceName}'
  location: apim.location
  tags: tags
  properties: { source: apim.id, topicType: 'Microsoft.ApiManagement.Service' }
}

resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: topic
  name: 'gateway-guard-rotate'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${functionApp.properties.defaultHostName}/api/rotations?code=${listKeys('${functionApp.id}/host/default', '2023-12-01').functionKeys.default}'
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.ApiManagement.GatewayTokenNearExpiry'
        'Microsoft.ApiManagement.GatewayTokenExpired'
      ]
    }
    retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 }
  }
}
