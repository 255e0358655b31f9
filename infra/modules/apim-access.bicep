// Least privilege on the API Management service: read gateways and generate tokens; regenerate keys
// only when revocation is allowed. The built-in "API Management Service Contributor" is far broader.
param apimServiceName string
param principalId string
param allowKeyRevocation bool

resource apim 'Microsoft.ApiManagement/service@2024-05-01' existing = { name: apimServiceName }

var baseActions = [
  'Microsoft.ApiManagement/service/gateways/read'
  'Microsoft.ApiManagement/service/gateways/generateToken/action'
]
var revokeActions = ['Microsoft.ApiManagement/service/gateways/regenerateKey/action']

resource tokenRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'gateway-guard-token-operator', string(allowKeyRevocation))
  properties: {
    roleName: 'API Management Gateway Token Operator (${apimServiceName}${allowKeyRevocation ? ', revoke' : ''})'
    description: 'Read self-hosted gateways and generate their tokens${allowKeyRevocation ? ', and regenerate their keys' : ''}. Used by gateway-guard.'
    type: 'CustomRole'
    permissions: [{ actions: allowKeyRevocation ? concat(baseActions, revokeActions) : baseActions, notActions: [] }]
    assignableScopes: [resourceGroup().id]
  }
}

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(apim.id, principalId, tokenRole.id)
  scope: apim
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: tokenRole.id
  }
}
